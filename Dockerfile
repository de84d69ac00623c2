# One image for web, worker, beat and the one-shot migrate; docker-compose.yml picks the command. The media
# directories exist (owned by the app's user) so that new named volumes mounted on them inherit the owner.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=ipcity.settings.production
WORKDIR /app
# The Word 公文's charts need a CJK font (matplotlib finds Noto CJK); its PDF needs LibreOffice Writer (without
# it a PDF export fails with a message saying so, and the .docx still works).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk libreoffice-writer-nogui \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . \
 && DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 ipcity \
 && mkdir -p /app/var/media/exports /app/var/media/evidence /app/var/media/imports && chown -R ipcity /app/var
USER ipcity
EXPOSE 8000
CMD ["gunicorn", "ipcity.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]

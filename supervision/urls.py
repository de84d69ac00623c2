from django.urls import path

from supervision import views

urlpatterns = [
    path("start/", views.start, name="start"),
    path("supervision/", views.item_list, name="supervision-items"),
    path("supervision/new/", views.item_new, name="supervision-new"),
    path("supervision/<int:pk>/", views.item_page, name="supervision-item"),
    path("supervision/<int:pk>/respond/", views.item_respond_view, name="supervision-respond"),
    path("supervision/<int:pk>/close/", views.item_close_view, name="supervision-close"),
    path("supervision/<int:pk>/return/", views.item_return_view, name="supervision-return"),
    path("supervision/files/<int:pk>/", views.response_file, name="supervision-file"),
    path("instructions/", views.instruction_list, name="instructions"),
    path("instructions/new/", views.instruction_new, name="instruction-new"),
]

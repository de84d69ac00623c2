// Export jobs: poll the job's JSON status until it is done or failed, then show the download link.
// Bulletin page: the print button. Loaded from our own static files (the CSP forbids inline scripts).
(function () {
  "use strict";

  function follow(box) {
    var url = box.getAttribute("data-status-url");
    var bar = box.querySelector("progress");
    var state = box.querySelector("[data-state]");
    var download = box.querySelector("[data-download]");
    var delay = 500;

    function show(status) {
      bar.value = status.percent;
      bar.textContent = status.percent + "%";
      if (status.state === "done") {
        state.textContent = status.rows ? "已生成，表中共 " + status.rows + " 行数据，请点击下方按钮下载。" : "已生成，请点击下方按钮下载。";
        if (download) download.hidden = false;
        return true;
      }
      if (status.state === "failed") {
        state.textContent = status.error || "生成失败。";
        state.classList.add("field-error");
        return true;
      }
      state.textContent = status.total
        ? status.label + "……已生成 " + status.done + " / " + status.total + " 行"
        : status.label + "……";
      return false;
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (status) {
          if (!show(status)) {
            delay = Math.min(delay * 1.5, 3000);
            window.setTimeout(poll, delay);
          }
        })
        .catch(function () {
          state.textContent = "暂时无法获取进度，稍后自动重试……";
          window.setTimeout(poll, 3000);
        });
    }

    poll();
  }

  document.querySelectorAll("[data-export-job]").forEach(follow);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();

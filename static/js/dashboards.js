/* Dashboards: draw the Plotly figures the page carries as JSON, and submit the quarter switcher and filters
   on change. Served from our static files: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  var LOCALE = {
    moduleType: "locale",
    name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放",
      "Box Select": "矩形选择",
      "Click to enter Colorscale title": "点击输入色阶标题",
      "Click to enter Component A title": "点击输入组件A标题",
      "Click to enter Plot title": "点击输入图表标题",
      "Click to enter X axis title": "点击输入X轴标题",
      "Click to enter Y axis title": "点击输入Y轴标题",
      "Double-click on legend to isolate one trace": "双击图例只显示该项",
      "Double-click to zoom back out": "双击恢复缩放",
      "Download plot as a png": "下载图片",
      "Lasso Select": "套索选择",
      "Orbital rotation": "轨道旋转",
      "Pan": "平移",
      "Produced with Plotly.js": "由Plotly.js生成",
      "Reset": "重置",
      "Reset axes": "重置坐标轴",
      "Reset view": "重置视图",
      "Show closest data on hover": "悬停显示最近数据",
      "Snapshot succeeded": "截图成功",
      "Sorry, there was a problem downloading your snapshot!": "抱歉，下载截图出错。",
      "Taking snapshot - this may take a few seconds": "正在截图，请稍候",
      "Toggle Spike Lines": "切换辅助线",
      "Zoom": "缩放",
      "Zoom in": "放大",
      "Zoom out": "缩小"
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      date: "%Y-%m-%d",
      decimal: ".",
      thousands: ","
    }
  };
  var CONFIG = { displaylogo: false, displayModeBar: false, responsive: true, locale: "zh-CN" };
  var NARROW = 600;

  function fitToWidth(layout, width) {
    // Phones: smaller type and a tighter frame, so a chart keeps its plot area.
    if (width >= NARROW) { return layout; }
    layout.font = Object.assign({}, layout.font, { size: 11 });
    // Quarter ticks name the year under each first quarter ("一季度<br>2024年"): keep only the years.
    var xaxis = layout.xaxis;
    if (xaxis && xaxis.ticktext) {
      layout.xaxis = Object.assign({}, xaxis, {
        ticktext: xaxis.ticktext.map(function (text) {
          var parts = String(text).split("<br>");
          return parts.length > 1 ? parts[1] : "";
        }),
        tickangle: 0
      });
    }
    layout.margin = Object.assign({}, layout.margin, { l: Math.min((layout.margin || {}).l || 40, 40), r: 6 });
    return layout;
  }

  function draw(node) {
    var source = document.getElementById(node.getAttribute("data-figure"));
    if (!source) { return; }
    var figure = JSON.parse(source.textContent);
    var layout = fitToWidth(figure.layout || {}, node.clientWidth);
    window.Plotly.newPlot(node, figure.data, layout, CONFIG).then(function () {
      node.setAttribute("data-rendered", "true");
    });
  }

  function autoSubmit(form) {
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
    form.querySelectorAll(".js-hide").forEach(function (button) { button.hidden = true; });
  }

  document.querySelectorAll("form.period-switcher, form.filters").forEach(autoSubmit);
  if (window.Plotly) {
    window.Plotly.register(LOCALE);
    document.querySelectorAll(".chart[data-figure]").forEach(draw);
  }
})();

// A button or link with data-confirm asks before it acts (全部审核通过, 报送本季度, 催报): the text says how many
// items the action will touch. The server checks the count again (the form's `expected`), so a page left
// open while things changed cannot approve or submit more than the person confirmed.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

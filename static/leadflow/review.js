// The review form's score as the steps are ticked: done 1, partly ½, missed 0, averaged (the server
// computes the same in qualification.services.reviews.review_score when it saves).
(function () {
  const form = document.querySelector('[data-testid="review-form"]');
  const out = document.getElementById("review-score");
  if (!form || !out) return;
  const points = { done: 1, partly: 0.5, missed: 0 };
  function update() {
    const steps = form.querySelectorAll('[data-testid="review-step"]');
    let total = 0;
    let marked = 0;
    steps.forEach(function (step) {
      const checked = step.querySelector("input:checked");
      if (checked) {
        total += points[checked.dataset.mark];
        marked += 1;
      }
    });
    if (steps.length && marked === steps.length) out.textContent = Math.round((100 * total) / steps.length) + "%";
  }
  form.addEventListener("change", function (event) {
    // a step ticked after a refused save: its error has been answered
    const step = event.target.closest('[data-testid="review-step"]');
    if (step) step.querySelectorAll('[data-testid="step-error"]').forEach(function (error) { error.remove(); });
    update();
  });
  update();
})();

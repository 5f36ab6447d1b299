// The read-only map as of a past event: the slider shows which event it points at while it is
// dragged and loads that moment when let go; picking a day loads the end of that day.
const slider = document.getElementById("as-of-slider");
const output = document.getElementById("as-of-output");
const sliderForm = document.getElementById("slider-form");
const day = document.getElementById("as-of-day");
const dayForm = document.getElementById("day-form");

if (slider && output && sliderForm) {
  slider.addEventListener("input", () => {
    output.textContent = slider.value;
  });
  slider.addEventListener("change", () => sliderForm.requestSubmit());
}
if (day && dayForm) {
  day.addEventListener("change", () => {
    if (day.value) dayForm.requestSubmit();
  });
}

// A module runs once the page is parsed, and may arrive later still on a slow connection: a
// slider moved or a day picked before then fired its change unheard. Load that moment now.
if (slider && output && sliderForm && slider.value !== slider.defaultValue) {
  output.textContent = slider.value;
  sliderForm.requestSubmit();
} else if (day && dayForm && day.value && day.value !== day.defaultValue) {
  dayForm.requestSubmit();
}

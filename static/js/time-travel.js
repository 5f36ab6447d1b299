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
// slider moved or a day picked before then fired its change unheard, so it is fired again
// here. (The inputs are autocomplete="off": a value the browser restores on Back is not a move.)
if (slider && slider.value !== slider.defaultValue) slider.dispatchEvent(new Event("change"));
else if (day && day.value !== day.defaultValue) day.dispatchEvent(new Event("change"));

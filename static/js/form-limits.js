// Loaded on every page (base.html): the page's `maxlength` fields count instead of cutting.
import { limitForms } from "./text-limit.js";

limitForms();

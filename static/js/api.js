// The REST API from the browser: the session cookie plus Django's CSRF header.

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** Calls the API; resolves to {ok, status, data} and never throws for an HTTP error. */
export async function api(method, path, body) {
  const options = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": cookie("csrftoken") },
  };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    return { ok: false, status: 0, data: { detail: "The server could not be reached." } };
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
  }
  return { ok: response.ok, status: response.status, data };
}

/** The message of an error body, for a notice. */
export function errorText(result) {
  if (result.data && typeof result.data.detail === "string") return result.data.detail;
  if (result.status === 403) return "You do not have the role for this.";
  if (result.status === 0) return "The server could not be reached.";
  return `Something went wrong (HTTP ${result.status}).`;
}

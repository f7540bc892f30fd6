// The chat: a runtime token from the page's own backend (POST /token), then runs
// started and streamed with the web build of @zaby/sdk straight from the browser.
import { ZabyRuntime } from "@zaby/sdk";

const messages = document.querySelector("#messages");
const errorBox = document.querySelector("#error");
const form = document.querySelector("#ask");
const question = document.querySelector("#question");

let minted; // { token, expiresAt, apiOrigin } from the backend
let runtime;

/** The current token, minted again by the backend a minute before it expires. */
async function token() {
  if (!minted || Date.parse(minted.expiresAt) - Date.now() < 60_000) {
    const res = await fetch("/token", { method: "POST" });
    const body = await res.json();
    if (!res.ok) throw Object.assign(new Error(body.message), body);
    minted = body;
  }
  return minted.token;
}

function bubble(kind, text) {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = text;
  messages.append(li);
  return li;
}

/** What went wrong, with the server's code and request id when it answered (ZabyApiError). */
function showError(err) {
  const code = err.code ?? err.name;
  const request = err.requestId ? ` (request ${err.requestId})` : "";
  errorBox.textContent = `${code}: ${err.message}${request}`;
  errorBox.hidden = false;
}

async function ask(input) {
  await token();
  runtime ??= new ZabyRuntime({ token, apiOrigin: minted.apiOrigin });
  bubble("user", input);
  const answer = bubble("assistant", "");
  const text = answer.appendChild(document.createElement("span"));
  const status = answer.appendChild(document.createElement("span"));
  status.className = "status";
  status.textContent = "thinking…";
  try {
    const run = await runtime.runs.start({ input: { message: input }, respondAsync: true });
    for await (const ev of runtime.runs.stream(run.runId)) {
      if (ev.event === "text") {
        text.textContent += ev.data.content;
        status.textContent = "answering…";
      } else if (ev.event === "RunFinished") {
        status.textContent = ev.data.status;
      } else if (ev.event === "RunError") {
        throw Object.assign(new Error(ev.data.message), { code: ev.data.code });
      }
    }
  } catch (err) {
    status.textContent = "not answered";
    throw err;
  }
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = question.value.trim();
  if (!input) return;
  errorBox.hidden = true;
  question.value = "";
  form.querySelector("button").disabled = true;
  try {
    await ask(input);
  } catch (err) {
    showError(err);
    question.value ||= input; // so the visitor can try again
  } finally {
    form.querySelector("button").disabled = false;
    question.focus();
  }
});

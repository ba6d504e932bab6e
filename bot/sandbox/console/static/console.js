// The sandbox console: a ward chosen at the top, its resident's chat (left) and its officers'
// board (right), and the city's wards side by side this week.
// Everything goes through the server's /console/api/*, which uses the bot's real paths.
"use strict";

const POLL_MS = 1000;
const CITY_POLL_MS = 3000;
const BAD_ID = "Mã Zalo của cư dân phải là một dãy số (5–32 chữ số).";
const $ = (id) => document.getElementById(id);
let info = null;
let chat = { userId: "", afterId: 0, items: [] };   // items: {from: "me"|"bot", text, buttons, images}
let chatBusy = false;
let boardBusy = false;
let ward = "";          // the chosen ward's code: every request names it

function storageKey(userId) { return "hts-console:" + info.instance + ":" + ward + ":" + userId; }
function wardQuery() { return "ward=" + encodeURIComponent(ward); }
function wardName(code) { const w = info.wards.find((x) => x.code === code); return w ? w.name : code; }

function loadResident() {
  const userId = $("user-id").value.trim();
  if (userId === chat.userId) return;
  const saved = sessionStorage.getItem(storageKey(userId));
  chat = saved ? JSON.parse(saved) : { userId: userId, afterId: 0, items: [] };
  renderChat();
}

function saveChat() { sessionStorage.setItem(storageKey(chat.userId), JSON.stringify(chat)); }

async function api(path, options) {
  const resp = await fetch(path, options);
  let body = {};
  try { body = await resp.json(); } catch (e) { body = { ok: false, error: "Máy chủ trả lời không đọc được." }; }
  if (!resp.ok || body.ok === false) throw new Error(body.error || ("Lỗi HTTP " + resp.status));
  return body;
}

function postJSON(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                     body: JSON.stringify(data) });
}

// ---- chat ------------------------------------------------------------------------------
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderChat() {
  const box = $("chat");
  box.replaceChildren();
  if (!chat.items.length) box.append(el("p", "hint", "Nhắn thử như một cư dân, ví dụ: \u201cđèn đường ngõ 12 tổ 5 hỏng 3 hôm nay rồi\u201d."));
  for (const item of chat.items) {
    const bubble = el("div", "bubble " + item.from);
    if (item.from === "bot") bubble.append(el("div", "sender", "Phường"));
    for (const src of item.images || []) {
      const img = el("img", "photo");
      img.src = src; img.alt = "Ảnh";
      bubble.append(img);
    }
    if (item.text) bubble.append(el("div", "text", item.text));
    if (item.buttons && item.buttons.length) {
      const row = el("div", "buttons");
      for (const b of item.buttons) {
        const btn = el("button", "bot-button", b.title);
        btn.type = "button";
        btn.addEventListener("click", () => tap(b));
        row.append(btn);
      }
      bubble.append(row);
    }
    box.append(bubble);
  }
  box.scrollTop = box.scrollHeight;
}

function resident() {
  return { user_id: $("user-id").value.trim(), name: $("user-name").value.trim() };
}

function showChatError(message) { $("chat-error").textContent = message || ""; }

async function sendEvent(data, shown) {
  loadResident();
  showChatError("");
  chat.items.push(Object.assign({ from: "me" }, shown));
  saveChat(); renderChat();
  try {
    await postJSON("/console/api/send", Object.assign(resident(), data, { ward: ward }));
  } catch (e) { showChatError(e.message); }
}

function tap(button) {
  if (button.type === "oa.open.url" && button.url) { window.open(button.url, "_blank"); return; }
  // An oa.query button comes back from Zalo as a text message carrying its payload.
  const text = button.payload || button.title;
  sendEvent({ type: "text", text: text }, { text: text });
}

async function pollChat() {
  if (chatBusy) return;
  loadResident();
  if (!/^\d{5,32}$/.test(chat.userId)) { showChatError(BAD_ID); return; }
  if ($("chat-error").textContent === BAD_ID) showChatError("");
  chatBusy = true;
  const asked = chat;
  try {
    const body = await api("/console/api/messages?user_id=" + encodeURIComponent(chat.userId) +
                           "&after_id=" + chat.afterId + "&" + wardQuery());
    if (body.instance !== info.instance) { location.reload(); return; }  // serve restarted
    if (asked !== chat) return;  // another ward or resident chosen meanwhile
    if (body.messages.length) {
      for (const m of body.messages) {
        chat.afterId = Math.max(chat.afterId, m.id);
        chat.items.push({ from: "bot", text: m.text, buttons: m.buttons, images: m.images });
      }
      saveChat(); renderChat();
    }
  } catch (e) { showChatError(e.message); }
  finally { chatBusy = false; }
}

// ---- board -----------------------------------------------------------------------------
const WIDE = { "Nội dung": "wide", "Trả lời người dân": "wide", "Ghi chú hệ thống": "wide" };

function renderHeader(header) {
  const tr = el("tr");
  header.forEach((name) => {
    const th = el("th", (info.editable.includes(name) ? "editable " : "") + (WIDE[name] || ""), name);
    tr.append(th);
  });
  $("board").tHead.replaceChildren(tr);
}

function choicesFor(column, officers, current) {
  let list = column === "Người xử lý" ? officers : (info.choices[column] || null);
  if (!list) return null;
  list = [""].concat(list);
  if (current && !list.includes(current)) list.push(current);
  return list;
}

function makeControl(column, code, value, officers) {
  const choices = choicesFor(column, officers, value);
  let control;
  if (choices) {
    control = el("select");
    for (const c of choices) {
      const opt = el("option", "", c || "—");
      opt.value = c;
      control.append(opt);
    }
  } else if (column === "Trả lời người dân") {
    control = el("textarea");
    control.rows = 2;
    control.placeholder = "Nội dung trả lời người dân";
  } else {
    control = el("input");
    if (column === "Hạn xử lý") control.placeholder = "dd/mm/yyyy";
  }
  control.value = value;
  control.dataset.column = column;
  control.dataset.code = code;
  control.setAttribute("aria-label", column + " của phiếu " + code);
  control.addEventListener("input", () => { control.dataset.dirty = "1"; });
  control.addEventListener("change", () => saveCell(control));
  return control;
}

async function saveCell(control) {
  const cell = control.parentElement;
  cell.classList.remove("failed");
  cell.classList.add("saving");
  $("board-error").textContent = "";
  try {
    await postJSON("/console/api/edit", { ward: ward, code: control.dataset.code,
                                          column: control.dataset.column, value: control.value });
  } catch (e) {
    cell.classList.add("failed");
    $("board-error").textContent = e.message;
  } finally {
    cell.classList.remove("saving");
    delete control.dataset.dirty;
  }
}

function fillCell(td, column, value, code, officers) {
  if (info.editable.includes(column)) {
    let control = td.firstElementChild;
    if (!control) { control = makeControl(column, code, value, officers); td.append(control); }
    const busy = document.activeElement === control || control.dataset.dirty || td.classList.contains("saving");
    if (control.tagName === "SELECT" && !busy) {
      const wanted = choicesFor(column, officers, value);
      if (wanted.length !== control.options.length ||
          wanted.some((c, i) => control.options[i].value !== c)) {
        td.replaceChildren(makeControl(column, code, value, officers));
        return;
      }
    }
    if (!busy && control.value !== value) control.value = value;
    return;
  }
  if (td.dataset.value === value) return;
  td.dataset.value = value;
  if (column === "Ảnh" && value) {
    td.replaceChildren();
    value.split("\n").filter(Boolean).forEach((url, i) => {
      const a = el("a", "", "ảnh " + (i + 1));
      a.href = url; a.target = "_blank"; a.rel = "noopener";
      td.append(a, document.createTextNode(" "));
    });
  } else {
    td.textContent = value;
  }
}

function renderBoard(body) {
  const table = $("board");
  if (!table.tHead.rows.length) renderHeader(body.header);
  const tbody = table.tBodies[0];
  const seen = new Set();
  let previous = null;
  for (const row of body.rows) {
    const code = (row[0] || "").trim();
    if (!code) continue;
    seen.add(code);
    let tr = tbody.querySelector('tr[data-code="' + CSS.escape(code) + '"]');
    if (!tr) {
      tr = el("tr");
      tr.dataset.code = code;
      body.header.forEach((name) => tr.append(el("td", (info.editable.includes(name) ? "editable " : "") + (WIDE[name] || ""))));
    }
    const expected = previous ? previous.nextSibling : tbody.firstChild;
    if (expected !== tr) tbody.insertBefore(tr, expected);
    previous = tr;
    body.header.forEach((name, i) => fillCell(tr.cells[i], name, row[i] || "", code, body.officers));
    tr.classList.toggle("urgent", (row[info.columns.indexOf("Khẩn")] || "") !== "");
  }
  for (const tr of Array.from(tbody.rows)) if (!seen.has(tr.dataset.code)) tr.remove();
  $("empty").hidden = seen.size > 0;
  $("no-officers").hidden = body.officers.length > 0 || seen.size === 0;
  $("sync").textContent = body.behind ? "Đang đồng bộ…" : "Đã đồng bộ";
}

async function pollBoard() {
  if (boardBusy) return;
  boardBusy = true;
  const asked = ward;
  try {
    const body = await api("/console/api/board?" + wardQuery());
    if (asked === ward) renderBoard(body);  // else another ward was chosen meanwhile
  }
  catch (e) { $("board-error").textContent = e.message; }
  finally { boardBusy = false; }
}

// ---- wards and the city ----------------------------------------------------------------
function chooseWard(code) {
  ward = code;
  sessionStorage.setItem("hts-console:ward", code);
  $("ward").value = code;
  $("oa-name").textContent = wardName(code);
  $("board-ward").textContent = wardName(code);
  $("board").tHead.replaceChildren();
  $("board").tBodies[0].replaceChildren();
  $("board-error").textContent = "";
  chat = { userId: "", afterId: 0, items: [] };
  loadResident();
  for (const card of document.querySelectorAll(".city-ward")) card.classList.toggle("chosen", card.dataset.code === code);
  pollBoard();
  pollChat();
}

function renderCity(body) {
  const box = $("city-wards");
  box.replaceChildren();
  for (const w of body.wards) {
    const card = el("button", "city-ward" + (w.code === ward ? " chosen" : ""));
    card.type = "button";
    card.dataset.code = w.code;
    card.title = "Chọn " + w.name;
    card.append(el("strong", "", w.name), el("br"));
    const figures = el("span", "figures", "tiếp nhận " + w.received + " · đã giải quyết " + w.resolved + " · ");
    figures.append(el("span", w.overdue ? "overdue" : "", "quá hạn " + w.overdue));
    card.append(figures);
    card.addEventListener("click", () => chooseWard(w.code));
    box.append(card);
  }
  $("city-week").textContent = body.wards.length ? body.wards[0].week : "";
}

async function pollCity() {
  try { renderCity(await api("/console/api/city")); }
  catch (e) { $("city-note").textContent = e.message; }
}

// ---- wiring ----------------------------------------------------------------------------
async function start() {
  info = await api("/console/api/info");
  for (const w of info.wards) {
    const opt = el("option", "", w.name + " (" + w.code + ")");
    opt.value = w.code;
    $("ward").append(opt);
  }
  const saved = sessionStorage.getItem("hts-console:ward");
  ward = info.wards.some((w) => w.code === saved) ? saved : info.wards[0].code;
  $("ward").value = ward;
  $("oa-name").textContent = wardName(ward);
  $("board-ward").textContent = wardName(ward);
  $("ward").addEventListener("change", () => chooseWard($("ward").value));
  $("city-publish").addEventListener("click", async () => {
    $("city-note").textContent = "";
    try {
      const body = await postJSON("/console/api/city/publish", {});
      $("city-note").textContent = "Đã ghi tab «" + body.tab + "» của bảng tính thành phố (" + body.wards + " phường).";
    } catch (e) { $("city-note").textContent = e.message; }
  });
  loadResident();
  $("user-id").addEventListener("change", loadResident);
  $("compose").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    sendEvent({ type: "text", text: text }, { text: text });
  });
  $("other").addEventListener("click", () => {
    let id = "70";
    while (id.length < 19) id += Math.floor(Math.random() * 10);
    $("user-id").value = id;
    $("user-name").value = "Cư dân thử " + id.slice(-3);
    loadResident();
  });
  $("follow").addEventListener("click", () => sendEvent({ type: "follow" }, { text: "(đã quan tâm OA)" }));
  $("location-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const lat = $("lat").value.trim(), lng = $("lng").value.trim();
    sendEvent({ type: "location", lat: lat, lng: lng }, { text: "📍 Vị trí: " + lat + ", " + lng });
  });
  $("photo-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("photo").files[0];
    if (!file) { showChatError("Chưa chọn ảnh."); return; }
    loadResident();
    showChatError("");
    const form = new FormData();
    const who = resident();
    form.append("user_id", who.user_id);
    form.append("name", who.name);
    form.append("ward", ward);
    form.append("file", file);
    // Shown at once, like a phone does; the hosted copy replaces the local preview.
    const item = { from: "me", images: [URL.createObjectURL(file)] };
    chat.items.push(item);
    renderChat();
    try {
      const body = await api("/console/api/photo", { method: "POST", body: form });
      item.images = [body.photo];
      $("photo").value = "";
      $("photo-name").textContent = "chưa chọn ảnh";
    } catch (e) { item.images = []; item.text = "(ảnh chưa gửi được)"; showChatError(e.message); }
    saveChat(); renderChat();
  });
  $("photo").addEventListener("change", () => {
    $("photo-name").textContent = $("photo").files.length ? $("photo").files[0].name : "chưa chọn ảnh";
  });
  $("add-officers").addEventListener("click", async () => {
    $("board-error").textContent = "";
    try { await postJSON("/console/api/sample-officers", { ward: ward }); }
    catch (e) { $("board-error").textContent = e.message; }
  });
  setInterval(pollChat, POLL_MS);
  setInterval(pollBoard, POLL_MS);
  setInterval(pollCity, CITY_POLL_MS);
  pollChat();
  pollBoard();
  pollCity();
}

start().catch((e) => { $("board-error").textContent = e.message; });

// Stratum viewer page: draws each display from damage-only frame messages (see
// src/viewer/frame-message.ts for the layout), shows the live layer tree, and sends actions and
// input back over the same WebSocket. Plain JS, no build step.

const FRAME_MESSAGE_TYPE = 1;
const FRAME_HEADER_BYTES = 40;
const RECT_HEADER_BYTES = 16;
const FLASH_MS = 180;
const GRAPH_SAMPLES = 120;
const TINTS = { DEVICE: 'rgba(40,200,90,0.35)', CLIENT: 'rgba(230,60,60,0.35)', SOLID_COLOR: 'rgba(60,120,240,0.35)', CURSOR: 'rgba(240,200,40,0.35)' };

const token = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);

/** Everything the page knows; exposed as window.stratumViewer for tests and for the console. */
const state = {
  connected: false,
  capabilities: {},
  displays: new Map(), // id -> view
  dump: { layers: [], outputLayers: {} },
  recording: { active: false },
  framesReceived: 0,
};
window.stratumViewer = state;

// ---------------------------------------------------------------- connection

let socket;
let nextActionId = 1;
const pendingActions = new Map();

function connect() {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '?token=' + encodeURIComponent(token);
  socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => setConnection(true);
  socket.onclose = () => {
    setConnection(false);
    for (const { reject } of pendingActions.values()) reject(new Error('viewer disconnected'));
    pendingActions.clear();
  };
  socket.onmessage = (event) => {
    if (event.data instanceof ArrayBuffer) onFrameMessage(event.data);
    else onJsonMessage(JSON.parse(event.data));
  };
}

function setConnection(live) {
  state.connected = live;
  const badge = $('connection');
  badge.textContent = live ? 'live' : 'disconnected (server stopped?)';
  badge.className = 'badge ' + (live ? 'live' : 'down');
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function action(name, args) {
  const id = nextActionId++;
  send({ type: 'action', id, name, args });
  return new Promise((resolve, reject) => pendingActions.set(id, { resolve, reject }));
}

function onJsonMessage(message) {
  switch (message.type) {
    case 'hello':
      state.capabilities = message.capabilities;
      applyCapabilities();
      syncDisplays(message.displays);
      break;
    case 'displays':
      syncDisplays(message.displays);
      break;
    case 'dump':
      state.dump = message.dump;
      renderDump();
      break;
    case 'recording':
      state.recording = message.state;
      applyCapabilities();
      break;
    case 'result': {
      const pending = pendingActions.get(message.id);
      pendingActions.delete(message.id);
      if (!pending) break;
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error(message.error));
      break;
    }
    case 'error':
      showMessage(message.message, true);
      break;
  }
}

// ---------------------------------------------------------------- displays

function syncDisplays(displays) {
  const ids = new Set(displays.map((d) => d.id));
  for (const [id, view] of state.displays) {
    if (!ids.has(id)) {
      view.root.remove();
      state.displays.delete(id);
    }
  }
  for (const info of displays) {
    const view = state.displays.get(info.id);
    if (view) {
      view.info = info;
      view.title.textContent = describeDisplay(info);
      updateDisplayButtons(view);
    } else {
      state.displays.set(info.id, createDisplayView(info));
    }
  }
}

function describeDisplay(info) {
  return `#${info.id} ${info.name} · ${info.kind} · ${info.width}x${info.height}@${info.refreshHz}`;
}

function createDisplayView(info) {
  const root = document.createElement('div');
  root.className = 'display';
  root.dataset.displayId = String(info.id);
  root.innerHTML = `
    <div class="title"><span class="name"></span><span class="stats">–</span></div>
    <div class="screen">
      <canvas class="display-canvas"></canvas>
      <canvas class="overlay" tabindex="0" title="pointer and keys go to the display"></canvas>
    </div>
    <canvas class="graph" width="${GRAPH_SAMPLES * 3}" height="40"></canvas>
    <div class="buttons">
      <button class="screenshot">Screenshot</button>
      <button class="disconnect" hidden>Disconnect</button>
      <button class="remove" hidden>Remove</button>
    </div>`;
  const canvas = root.querySelector('.display-canvas');
  canvas.dataset.displayId = String(info.id);
  const overlay = root.querySelector('.overlay');
  const view = {
    info,
    root,
    title: root.querySelector('.name'),
    stats: root.querySelector('.stats'),
    canvas,
    context: canvas.getContext('2d', { willReadFrequently: true }),
    overlay,
    overlayContext: overlay.getContext('2d'),
    graph: root.querySelector('.graph'),
    framesDrawn: 0,
    frameNumber: -1,
    presentTimes: [],
    frameNumbers: [],
    receiveTimes: [],
    flashes: [],
  };
  view.title.textContent = describeDisplay(info);
  sizeCanvases(view, info.width, info.height);
  root.querySelector('.screenshot').onclick = () => downloadScreenshot(view.info.id);
  root.querySelector('.disconnect').onclick = () => runAction('disconnectDisplay', { displayId: view.info.id });
  root.querySelector('.remove').onclick = () => runAction('removeDisplay', { displayId: view.info.id });
  attachInput(view);
  updateDisplayButtons(view);
  $('displays').append(root);
  return view;
}

function updateDisplayButtons(view) {
  const caps = state.capabilities;
  const kind = view.info.kind;
  view.root.querySelector('.disconnect').hidden = !(kind === 'external' && caps.disconnectDisplay);
  view.root.querySelector('.remove').hidden = !((kind === 'virtual' || kind === 'simulated') && caps.removeDisplay);
}

function sizeCanvases(view, width, height) {
  for (const c of [view.canvas, view.overlay]) {
    c.width = width;
    c.height = height;
  }
}

// ---------------------------------------------------------------- frames

function onFrameMessage(buffer) {
  const view = new DataView(buffer);
  if (buffer.byteLength < FRAME_HEADER_BYTES || view.getUint32(0, true) !== FRAME_MESSAGE_TYPE) return;
  const displayId = view.getUint32(4, true);
  const frameNumber = view.getUint32(12, true);
  const width = view.getUint32(16, true);
  const height = view.getUint32(20, true);
  const presentTime = view.getFloat64(24, true);
  const rectCount = view.getUint32(32, true);
  const display = state.displays.get(displayId);
  if (display) {
    if (display.canvas.width !== width || display.canvas.height !== height) sizeCanvases(display, width, height);
    let offset = FRAME_HEADER_BYTES;
    const now = performance.now();
    for (let i = 0; i < rectCount; i++) {
      const left = view.getUint32(offset, true);
      const top = view.getUint32(offset + 4, true);
      const w = view.getUint32(offset + 8, true);
      const h = view.getUint32(offset + 12, true);
      offset += RECT_HEADER_BYTES;
      const bytes = w * h * 4;
      if (w > 0 && h > 0) {
        display.context.putImageData(new ImageData(new Uint8ClampedArray(buffer, offset, bytes), w, h), left, top);
        if ($('show-updates').checked) {
          display.flashes.push({ left, top, w, h, until: now + FLASH_MS });
          display.lastFlash = [left, top, w, h];
        }
      }
      offset += bytes;
    }
    recordFrame(display, frameNumber, presentTime, now);
    requestOverlay();
  }
  state.framesReceived++;
  send({ type: 'ack', seq: view.getUint32(8, true) });
}

function recordFrame(display, frameNumber, presentTime, now) {
  display.framesDrawn++;
  display.frameNumber = frameNumber;
  display.presentTimes.push(presentTime);
  display.frameNumbers.push(frameNumber);
  display.receiveTimes.push(now);
  if (display.presentTimes.length > GRAPH_SAMPLES + 1) {
    display.presentTimes.shift();
    display.frameNumbers.shift();
  }
  updateStats(display, now);
  if ($('frame-graph').checked) drawGraph(display);
}

/** Frames shown in the last second; refreshed on each frame and once a second while idle. */
function updateStats(display, now) {
  while (display.receiveTimes.length && display.receiveTimes[0] < now - 1000) display.receiveTimes.shift();
  display.stats.textContent = `${display.receiveTimes.length} fps · frame ${display.frameNumber}`;
}

setInterval(() => {
  const now = performance.now();
  for (const display of state.displays.values()) if (display.framesDrawn > 0) updateStats(display, now);
}, 1000);

function drawGraph(display) {
  const g = display.graph.getContext('2d');
  const { width, height } = display.graph;
  g.clearRect(0, 0, width, height);
  const period = 1000 / (display.info.refreshHz || 60);
  const scale = height / (period * 3); // three periods fill the graph
  g.fillStyle = 'rgba(255,255,255,0.25)';
  g.fillRect(0, height - period * scale, width, 1);
  const times = display.presentTimes;
  const frames = display.frameNumbers;
  for (let i = 1; i < times.length; i++) {
    // Frames merged while the page lagged share the interval evenly: this is compositor frame time.
    const delta = (times[i] - times[i - 1]) / Math.max(1, frames[i] - frames[i - 1]);
    const barHeight = Math.min(height, delta * scale);
    g.fillStyle = delta > period * 1.5 ? '#ff7070' : '#5fb3ff';
    g.fillRect((i - 1) * 3, height - barHeight, 2, barHeight);
  }
}

// ---------------------------------------------------------------- overlays

let overlayScheduled = false;
function requestOverlay() {
  if (overlayScheduled) return;
  overlayScheduled = true;
  requestAnimationFrame(drawOverlays);
}

function drawOverlays() {
  overlayScheduled = false;
  const now = performance.now();
  const tint = $('tint-composition').checked;
  let again = false;
  for (const display of state.displays.values()) {
    const g = display.overlayContext;
    g.clearRect(0, 0, display.overlay.width, display.overlay.height);
    if (tint) {
      for (const layer of state.dump.outputLayers[display.info.id] || []) {
        const f = layer.displayFrame;
        g.fillStyle = TINTS[layer.compositionType] || 'rgba(200,200,200,0.3)';
        g.fillRect(f.left, f.top, f.right - f.left, f.bottom - f.top);
      }
    }
    display.flashes = display.flashes.filter((f) => f.until > now);
    for (const flash of display.flashes) {
      g.fillStyle = `rgba(255,0,255,${(0.45 * (flash.until - now)) / FLASH_MS})`;
      g.fillRect(flash.left, flash.top, flash.w, flash.h);
    }
    if (display.flashes.length) again = true;
  }
  if (again) requestOverlay();
}

// ---------------------------------------------------------------- input

function displayPoint(view, event) {
  const box = view.overlay.getBoundingClientRect();
  const x = Math.floor(((event.clientX - box.left) * view.overlay.width) / box.width);
  const y = Math.floor(((event.clientY - box.top) * view.overlay.height) / box.height);
  return {
    x: Math.min(view.overlay.width - 1, Math.max(0, x)),
    y: Math.min(view.overlay.height - 1, Math.max(0, y)),
  };
}

function attachInput(view) {
  const target = view.overlay;
  const pointer = (action) => (event) => {
    if (action === 'move' && event.buttons === 0) return;
    if (action === 'down') {
      target.focus();
      target.setPointerCapture(event.pointerId);
    }
    const { x, y } = displayPoint(view, event);
    sendInput({ kind: 'pointer', displayId: view.info.id, action, x, y, pointerId: event.pointerId, buttons: event.buttons });
    event.preventDefault();
  };
  target.addEventListener('pointerdown', pointer('down'));
  target.addEventListener('pointermove', pointer('move'));
  target.addEventListener('pointerup', pointer('up'));
  target.addEventListener('pointercancel', pointer('cancel'));
  const key = (action) => (event) => {
    sendInput({ kind: 'key', displayId: view.info.id, action, key: event.key });
    event.preventDefault();
  };
  target.addEventListener('keydown', key('down'));
  target.addEventListener('keyup', key('up'));
}

function sendInput(event) {
  if (!state.capabilities.input) return;
  send({ type: 'input', event });
}

// ---------------------------------------------------------------- panel

function applyCapabilities() {
  const caps = state.capabilities;
  $('connect-external').disabled = !caps.connectExternalDisplay;
  $('create-virtual').disabled = !caps.createVirtualDisplay;
  $('create-simulated').disabled = !caps.createSimulatedDisplay;
  const missing = [];
  if (!caps.connectExternalDisplay) missing.push('hotplug (issue 7)');
  if (!caps.createVirtualDisplay) missing.push('virtual displays (issue 7)');
  if (!caps.createSimulatedDisplay) missing.push('simulated displays (issue 8)');
  $('display-note').textContent = missing.length ? 'not available yet: needs ' + missing.join(', ') : '';
  $('record-start').disabled = !caps.recording || state.recording.active;
  $('record-stop').disabled = !caps.recording || !state.recording.active;
  $('record-note').textContent = caps.recordingNote
    ? caps.recordingNote
    : state.recording.active
      ? `recording display ${state.recording.displayId} to ${state.recording.file}`
      : state.recording.file
        ? `saved ${state.recording.file}`
        : '';
  $('input-note').textContent = caps.input ? 'pointer and keys in a display go to the server' : 'input not available yet: needs the window manager (issue 9)';
  for (const view of state.displays.values()) updateDisplayButtons(view);
  $('legend').innerHTML = Object.keys(TINTS)
    .map((type) => `<span class="ctype ${type}">${type}</span>`)
    .join('');
}

function parseSize(text) {
  const match = /^(\d+)x(\d+)(?:@(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`size must look like 1920x1080@60, got "${text}"`);
  const size = { width: Number(match[1]), height: Number(match[2]) };
  if (match[3]) size.refreshHz = Number(match[3]);
  return size;
}

async function runAction(name, args) {
  try {
    const value = await action(name, args);
    showMessage(`${name}: done`, false);
    return value;
  } catch (error) {
    showMessage(`${name}: ${error.message}`, true);
    return undefined;
  }
}

function sizedAction(name) {
  return () => {
    let size;
    try {
      size = parseSize($('display-size').value);
    } catch (error) {
      showMessage(error.message, true);
      return;
    }
    void runAction(name, size);
  };
}

function firstDisplayId() {
  const first = state.displays.keys().next();
  return first.done ? 0 : first.value;
}

function showMessage(text, isError) {
  const el = $('message');
  el.textContent = text;
  el.className = 'note' + (isError ? ' error' : '');
}

function downloadScreenshot(displayId) {
  const link = document.createElement('a');
  link.href = `capture/${displayId}.png?token=${encodeURIComponent(token)}`;
  link.download = `stratum-display-${displayId}.png`;
  document.body.append(link);
  link.click();
  link.remove();
}

function renderDump() {
  const { layers, outputLayers, text } = state.dump;
  const types = new Map();
  for (const list of Object.values(outputLayers || {})) {
    for (const out of list) types.set(out.layerId, out.compositionType);
  }
  const tree = $('layer-tree');
  tree.replaceChildren(renderLayers(layers || [], types));
  $('dump-text').textContent = text || '';
  if ($('tint-composition').checked) requestOverlay();
}

function renderLayers(layers, types) {
  const list = document.createElement('ul');
  for (const layer of layers) {
    const item = document.createElement('li');
    item.dataset.layerId = String(layer.id);
    const name = document.createElement('span');
    name.className = 'layer-name';
    name.textContent = `${layer.name} (${layer.kind}, z ${layer.z})`;
    item.append(name);
    const type = types.get(layer.id);
    if (type) {
      const badge = document.createElement('span');
      badge.className = 'ctype ' + type;
      badge.textContent = type;
      item.append(badge);
    }
    const props = Object.entries(layer.properties || {});
    if (props.length) {
      const detail = document.createElement('div');
      detail.className = 'props';
      detail.textContent = props.map(([k, v]) => `${k}=${v}`).join(' ');
      item.append(detail);
    }
    if (layer.children && layer.children.length) item.append(renderLayers(layer.children, types));
    list.append(item);
  }
  return list;
}

$('connect-external').onclick = sizedAction('connectExternalDisplay');
$('create-virtual').onclick = sizedAction('createVirtualDisplay');
$('create-simulated').onclick = sizedAction('createSimulatedDisplay');
$('record-start').onclick = () => void runAction('startRecording', { displayId: firstDisplayId() });
$('record-stop').onclick = () => void runAction('stopRecording', {});
$('tint-composition').onchange = requestOverlay;
$('show-updates').onchange = requestOverlay;

connect();

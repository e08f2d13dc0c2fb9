// The explorer page of autodiff.explore: walks through the steps recorded in the page's JSON data.
// Every number comes from that data, computed by the engine; this script only shows and hides.
(async function () {
  "use strict";
  // the picture, stored gzip-compressed and base64-encoded to keep big pages small
  async function inflate(base64) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  }

  const box = document.currentScript.closest(".autodiff-explorer");
  const data = JSON.parse(box.querySelector("script.ax-data").textContent);
  const { nodes, edges, steps, ops } = data;
  const last = steps.length - 1;
  const graph = box.querySelector(".ax-graph");
  graph.innerHTML = await inflate(graph.dataset.svg);
  graph.removeAttribute("data-svg");
  const svg = graph.querySelector("svg");
  const slider = box.querySelector(".ax-slider");
  const counter = box.querySelector(".ax-counter");
  const colour = box.querySelector(".ax-color");
  const playButton = box.querySelector('[data-action="play"]');
  const stepTitle = box.querySelector(".ax-step h3");
  const stepText = box.querySelector(".ax-step pre");
  const notation = box.querySelector(".ax-notation");
  const inspectText = box.querySelector(".ax-inspect pre");
  const status = box.querySelector(".ax-status");
  const element = (id) => (id ? svg.querySelector("#" + CSS.escape(id)) : null);
  const operand = (name) => (name.includes(" ") ? `(${name})` : name);
  const gradOf = (name) => `${operand(name)}.grad`;

  let current = 0;
  let selected = null; // the index of the inspected value
  let timer = null;

  // the SVG elements of each value, and the values and edges each element shows
  const valuesOf = new Map();
  const edgesOf = new Map();
  nodes.forEach((node, index) => {
    node.elements = node.svg.map(element).filter(Boolean);
    node.elements.forEach((el) => valuesOf.set(el, (valuesOf.get(el) || []).concat([index])));
    const texts = node.id in data.boxes ? [] : node.elements[0].querySelectorAll("text");
    node.gradText = texts.length ? texts[texts.length - 1] : null;
    node.shape = node.gradText ? node.elements[0].querySelector("polygon") : null;
    node.plainFill = node.shape ? node.shape.getAttribute("fill") : null;
    node.into = [];
    node.updates = []; // [step, grad after that step]
  });
  edges.forEach(([, child, , , id], index) => {
    const el = element(id);
    nodes[child].into.push(index);
    if (el) edgesOf.set(el, (edgesOf.get(el) || []).concat([index]));
  });
  steps.forEach((step, when) => {
    if (step.seed !== undefined) nodes[step.focus[0]].updates.push([when, step.seed]);
    (step.contributions || []).forEach(([edge, , , , after]) => nodes[edges[edge][0]].updates.push([when, after]));
  });

  // the grad a value shows at a step: its latest update up to that step
  function gradAt(node, step) {
    let grad = data.zero;
    for (const [when, value] of node.updates) if (when <= step) grad = value;
    return grad;
  }

  // the local derivative of an edge, in words and numbers: "∂out/∂x = 1 − out² = 0.5"; the op
  // table's slots x and y read as the inputs' own names ("∂out/∂x = w = -3" for x × w), its
  // constant c as the constant, and a value that is both inputs says which edge it is
  function partial(edge) {
    const [, child, position, local] = edges[edge];
    const node = nodes[child];
    const op = ops[node.op];
    const pick = (list) => list[Math.min(position, list.length) - 1];
    const slots = { x: node.parents[0], y: node.parents[1] };
    const name = (slot) => (slot === "c" ? node.arg : operand(nodes[slots[slot]].name));
    const slotPattern = node.arg === undefined ? /\b[xy]\b/g : /\b[xyc]\b/g;
    const named = (text) => (op.inputs[0] === "x_i" ? text : text.replace(slotPattern, name));
    const which = node.parents.length === 2 && node.parents[0] === node.parents[1] ? ` (input ${position})` : "";
    const formula = named(pick(op.partials));
    return `∂out/∂${named(pick(op.inputs))}${which} = ${formula === local ? local : `${formula} = ${local}`}`;
  }

  function backwardLines(step) {
    if (step.seed !== undefined) return [`∂out/∂out = 1: ${gradOf(nodes[step.focus[0]].name)} = ${step.seed}`];
    const lines = [];
    let child = null;
    for (const [edge, upstream, contribution, before, after, nth] of step.contributions) {
      const [from, to, , local] = edges[edge];
      if (to !== child) lines.push(`${gradOf(nodes[to].name)} = ${upstream}`);
      child = to;
      const users = nodes[from].children.length;
      const sum = users > 1 ? `; running sum ${before} + ${contribution} = ${after} (${nth} of ${users})` : "";
      lines.push(`  ${partial(edge)}: ${gradOf(nodes[from].name)} += ${local} × ${upstream} = ${contribution}${sum}`);
    }
    return lines;
  }

  // a picture larger than its frame scrolls so that this step's values are in view
  function reveal(elements) {
    const rects = elements.filter(Boolean).map((el) => el.getBoundingClientRect());
    if (!rects.length) return;
    const frame = graph.getBoundingClientRect();
    const left = Math.min(...rects.map((r) => r.left)) - frame.left;
    const right = Math.max(...rects.map((r) => r.right)) - frame.left;
    const top = Math.min(...rects.map((r) => r.top)) - frame.top;
    const bottom = Math.max(...rects.map((r) => r.bottom)) - frame.top;
    if (left < 0 || right > graph.clientWidth) graph.scrollLeft += (left + right - graph.clientWidth) / 2;
    if (top < 0 || bottom > graph.clientHeight) graph.scrollTop += (top + bottom - graph.clientHeight) / 2;
  }

  function mark(className, elements) {
    svg.querySelectorAll("." + className).forEach((el) => el.classList.remove(className));
    elements.forEach((el) => el && el.classList.add(className));
  }

  // every value downstream of `start`: the paths its gradient flows along to the output
  function downstream(start) {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) {
      for (const child of nodes[stack.pop()].children) {
        if (!seen.has(child)) { seen.add(child); stack.push(child); }
      }
    }
    return seen;
  }

  function show(step) {
    current = Math.max(0, Math.min(last, step));
    const s = steps[current];
    slider.value = String(current);
    counter.textContent = `step ${current} / ${last}: ${s.phase}`;
    nodes.forEach((node) => {
      const hidden = node.shown > current;
      node.elements.forEach((el) => el.classList.toggle("ax-hidden", hidden));
      if (!node.gradText) return;
      node.gradText.textContent = "grad " + gradAt(node, current);
      const coloured = colour.checked && node.done <= current;
      node.shape.setAttribute("fill", coloured ? data.fills[node.level - 1] : node.plainFill);
      const ink = coloured ? data.inks[node.level - 1] : "black";
      node.elements[0].querySelectorAll("text").forEach((t) => t.setAttribute("fill", ink));
    });
    edgesOf.forEach((indices, el) => el.classList.toggle("ax-hidden", nodes[edges[indices[0]][1]].shown > current));
    const focusEdges = s.phase === "inputs" ? [] : s.focus.flatMap((i) => nodes[i].into).map((e) => element(edges[e][4]));
    const focusElements = s.focus.flatMap((i) => nodes[i].elements).concat(focusEdges);
    mark("ax-current", focusElements);
    // the inputs are spread over the whole picture: their step shows the one the forward pass uses first
    reveal(s.phase === "inputs" ? nodes[s.focus[0]].elements : focusElements);
    stepTitle.textContent = s.title;
    notation.hidden = s.phase !== "backward";
    stepText.textContent = (s.phase === "backward" ? backwardLines(s) : s.lines).join("\n");
    inspect();
  }

  function inspect() {
    if (selected === null) return;
    const node = nodes[selected];
    const path = downstream(selected);
    const pathEdges = edges.filter(([from, to]) => path.has(from) && path.has(to)).map((edge) => element(edge[4]));
    mark("ax-path", [...path].flatMap((i) => nodes[i].elements).concat(pathEdges));
    const names = (list) => list.map((i) => nodes[i].name).join(", ") || "none";
    const lines = [
      node.name,
      `kind: ${node.kind}${node.op ? `, op ${node.op}` : ""}${node.id in data.boxes ? `, in ${data.boxes[node.id]}` : ""}`,
      node.arg === undefined ? null : `constant argument: ${node.arg}`,
      `data: ${node.data}`,
      `grad at this step: ${gradAt(node, current)}`,
      `grad after backward: ${node.grad}`,
      `parents: ${names(node.parents)}`,
      `children: ${names(node.children)}`,
    ].filter((line) => line !== null);
    const received = [];
    steps.forEach((s, when) => (s.contributions || []).forEach(([edge, , contribution, before, after]) => {
      const [from, to] = edges[edge];
      if (from === selected && when <= current) {
        received.push(`  step ${when}, from ${nodes[to].name}: ${before} + ${contribution} = ${after}`);
      }
    }));
    if (received.length) lines.push("contributions to its grad so far:", ...received);
    inspectText.textContent = lines.join("\n");
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    playButton.textContent = "play";
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (current === last) show(0);
    playButton.textContent = "pause";
    timer = setInterval(() => (current >= last ? stop() : show(current + 1)), 700);
  }

  const actions = {
    first: () => show(0), back: () => show(current - 1), next: () => show(current + 1), last: () => show(last), play,
  };
  function act(action) {
    if (action !== "play") stop();
    actions[action]();
  }
  box.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", () => act(button.dataset.action)));
  const keys = { ArrowLeft: "back", ArrowRight: "next", Home: "first", End: "last", " ": "play" };
  box.addEventListener("keydown", (event) => {
    if (!(event.key in keys) || event.target === slider) return;
    event.preventDefault();
    act(keys[event.key]);
  });
  slider.max = String(last);
  slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
  colour.checked = data.colorByGrad;
  colour.addEventListener("change", () => show(current));

  valuesOf.forEach((indices, el) => {
    el.addEventListener("click", () => {
      selected = indices[indices.length - 1];
      inspect();
    });
    // unnamed values are called v<index> in the text when their formula is long: hovering tells which
    el.addEventListener("mouseenter", () => {
      if (edgesOf.has(el)) return;
      const node = nodes[indices[indices.length - 1]];
      status.textContent = `${node.name}: data ${node.data}, grad ${gradAt(node, current)}`;
    });
    el.addEventListener("mouseleave", () => { status.textContent = ""; });
  });
  edgesOf.forEach((indices, el) => {
    el.addEventListener("mouseenter", () => {
      status.textContent = indices.map((edge) => {
        const [from, to, position] = edges[edge];
        return `${nodes[from].name} → ${nodes[to].name} (input ${position}): ${partial(edge)}`;
      }).join("   ");
    });
    el.addEventListener("mouseleave", () => { status.textContent = ""; });
  });

  // a small picture is drawn larger, up to 1.5 times, to fill the width it has
  const natural = svg.getBoundingClientRect();
  const zoom = Math.min(1.5, graph.clientWidth / natural.width);
  if (zoom > 1) {
    svg.setAttribute("width", `${natural.width * zoom}px`);
    svg.setAttribute("height", `${natural.height * zoom}px`);
  }
  show(0);
  box.dataset.ready = "";
  if (box.hasAttribute("data-autofocus")) box.focus();
})();

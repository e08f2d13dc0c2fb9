// The explorer page of autodiff.explore: shows the steps recorded in the page's JSON data.
// Every number comes from that data, computed by the engine; this script only shows and hides.
(function () {
  "use strict";
  const box = document.currentScript.closest(".autodiff-explorer");
  const data = JSON.parse(box.querySelector("script.ax-data").textContent);
  const { nodes, edges, steps } = data;
  const last = steps.length - 1;
  const svg = box.querySelector(".ax-graph svg");
  const slider = box.querySelector(".ax-slider");
  const counter = box.querySelector(".ax-counter");
  const colour = box.querySelector(".ax-color");
  const playButton = box.querySelector('[data-action="play"]');
  const stepTitle = box.querySelector(".ax-step h3");
  const stepText = box.querySelector(".ax-step pre");
  const inspectText = box.querySelector(".ax-inspect pre");
  const status = box.querySelector(".ax-status");
  const element = (id) => (id ? svg.querySelector("#" + CSS.escape(id)) : null);

  let current = 0;
  let selected = null; // the index of the inspected value
  let timer = null;

  // what each SVG element shows: the values drawn in it, the edges of the engine it carries
  const valuesOf = new Map();
  const edgesOf = new Map();
  nodes.forEach((node, index) => {
    node.elements = node.svg.map(element).filter(Boolean);
    node.elements.forEach((el) => valuesOf.set(el, (valuesOf.get(el) || []).concat([index])));
    const texts = node.id.startsWith("v") && node.elements.length ? node.elements[0].querySelectorAll("text") : [];
    node.gradText = texts.length ? texts[texts.length - 1] : null;
    node.shape = node.gradText ? node.elements[0].querySelector("polygon") : null;
    node.plainFill = node.shape ? node.shape.getAttribute("fill") : null;
  });
  edges.forEach((edge, index) => {
    edge.element = element(edge.svg);
    if (edge.element) edgesOf.set(edge.element, (edgesOf.get(edge.element) || []).concat([index]));
  });

  // the grad a value shows at a step: its latest update up to that step
  function gradAt(node, step) {
    let text = node.grads[0][1];
    for (const [when, value] of node.grads) if (when <= step) text = value;
    return text;
  }

  function mark(className, elements) {
    svg.querySelectorAll("." + className).forEach((el) => el.classList.remove(className));
    elements.forEach((el) => el && el.classList.add(className));
  }

  // every value downstream of `start`: the paths its gradient flows along to the output
  function downstream(start) {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) for (const child of nodes[stack.pop()].children) {
      if (!seen.has(child)) { seen.add(child); stack.push(child); }
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
      node.shape.setAttribute("fill", coloured ? node.fill : node.plainFill);
      node.elements[0].querySelectorAll("text").forEach((t) => t.setAttribute("fill", coloured ? node.ink : "black"));
    });
    edges.forEach((edge) => edge.element && edge.element.classList.toggle("ax-hidden", nodes[edge.to].shown > current));
    mark("ax-current", s.focus.flatMap((i) => nodes[i].elements).concat(s.edges.map((e) => edges[e].element)));
    stepTitle.textContent = s.title;
    stepText.textContent = s.lines.join("\n");
    inspect();
  }

  function inspect() {
    if (selected === null) { mark("ax-path", []); return; }
    const node = nodes[selected];
    const path = downstream(selected);
    const pathEdges = edges.filter((e) => path.has(e.from) && path.has(e.to)).map((e) => e.element);
    mark("ax-path", [...path].flatMap((i) => nodes[i].elements).concat(pathEdges));
    const names = (list) => list.map((i) => nodes[i].name).join(", ") || "none";
    const lines = [
      node.name,
      `kind: ${node.kind}${node.op ? `, op ${node.op} (${node.label})` : ""}`,
      node.arg === null ? null : `constant argument: ${node.arg}`,
      `data: ${node.data}  (exactly ${node.exact})`,
      `grad at this step: ${gradAt(node, current)}`,
      `grad after backward: ${node.grad}  (exactly ${node.gradExact})`,
      `parents: ${names(node.parents)}`,
      `children: ${names(node.children)}`,
    ].filter((line) => line !== null);
    const received = [];
    steps.forEach((s, when) => (s.contributions || []).forEach((c) => {
      const edge = edges[c.edge];
      if (edge.from === selected && when <= current) {
        received.push(`  step ${when}: from ${nodes[edge.to].name}: ${c.before} + ${c.contribution} = ${c.after}`);
      }
    }));
    if (received.length) lines.push("contributions to its grad so far:", ...received);
    inspectText.textContent = lines.join("\n");
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (current === last) show(0);
    playButton.textContent = "pause";
    timer = setInterval(() => (current >= last ? stop() : show(current + 1)), 700);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    playButton.textContent = "play";
  }

  const actions = {
    first: () => show(0), back: () => show(current - 1), next: () => show(current + 1), last: () => show(last), play,
  };
  box.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", () => {
    if (button.dataset.action !== "play") stop();
    actions[button.dataset.action]();
  }));
  const keys = { ArrowLeft: "back", ArrowRight: "next", Home: "first", End: "last", " ": "play" };
  box.addEventListener("keydown", (event) => {
    const action = keys[event.key];
    if (!action || event.target === slider) return;
    event.preventDefault();
    if (action !== "play") stop();
    actions[action]();
  });
  slider.max = String(last);
  slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
  colour.checked = data.colorByGrad;
  colour.addEventListener("change", () => show(current));

  valuesOf.forEach((indices, el) => el.addEventListener("click", () => {
    selected = indices[indices.length - 1];
    inspect();
  }));
  edgesOf.forEach((indices, el) => {
    el.addEventListener("mouseenter", () => {
      status.textContent = indices.map((i) => {
        const e = edges[i];
        return `∂${nodes[e.to].name}/∂${nodes[e.from].name} (input ${e.position}): ∂out/∂${e.letter} = ${e.formula} = ${e.local}`;
      }).join("   ");
    });
    el.addEventListener("mouseleave", () => { status.textContent = ""; });
  });

  show(0);
  if (box.hasAttribute("data-autofocus")) box.focus();
})();

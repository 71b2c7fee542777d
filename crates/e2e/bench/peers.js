// The benchmark's peers: uPlot 1.6.32 and Chart.js 4.6.1, measured the way
// src/bin/bench.rs measures our chart. Each draw ends by reading one pixel
// back, so the canvas has finished drawing when the clock stops.
(function () {
  const WIDTH = 1200, HEIGHT = 400;

  function median(samples) {
    const sorted = samples.slice().sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  function settle(canvas) {
    canvas.getContext("2d").getImageData(0, 0, 1, 1);
  }

  function heap() {
    if (window.gc) window.gc();
    return performance.memory ? performance.memory.usedJSHeapSize : NaN;
  }

  // What each library needs the JSON turned into, as its own docs advise.
  const decoders = {
    uplot(text) {
      const intervals = JSON.parse(text).intervals;
      const xs = new Float64Array(intervals.length), ys = new Float64Array(intervals.length);
      for (let i = 0; i < intervals.length; i++) { xs[i] = intervals[i].start; ys[i] = intervals[i].usage; }
      return [xs, ys];
    },
    chartjs(text) {
      // parsing: false wants {x, y} objects, with x in the scale's own units.
      return JSON.parse(text).intervals.map(i => ({ x: i.start, y: i.usage }));
    },
  };

  const charts = {
    uplot: {
      async create(data, host) {
        let drawn;
        const done = new Promise(resolve => { drawn = resolve; });
        const u = new uPlot({
          width: WIDTH, height: HEIGHT,
          scales: { x: { time: true } },
          legend: { show: false },
          series: [{}, { stroke: "#1d4ed8", width: 1, fill: "rgba(29,78,216,0.25)" }],
          hooks: { draw: [() => drawn()] },
        }, data, host);
        await done;
        return u;
      },
      canvas: u => u.ctx.canvas,
      async view(u, min, max) {
        let drawn;
        const done = new Promise(resolve => { drawn = resolve; });
        u.hooks.draw.push(() => drawn());
        u.setScale("x", { min, max });
        await done;
        u.hooks.draw.pop();
      },
      hover(u, x) { u.setCursor({ left: x, top: HEIGHT / 2 }); },
      extent: d => [d[0][0], d[0][d[0].length - 1]],
      // Typed arrays live outside the JS heap that performance.memory counts.
      external: d => d[0].byteLength + d[1].byteLength,
      destroy: u => u.destroy(),
    },
    chartjs: {
      async create(data, host) {
        const canvas = document.createElement("canvas");
        canvas.style.width = WIDTH + "px"; canvas.style.height = HEIGHT + "px";
        canvas.width = WIDTH; canvas.height = HEIGHT;
        host.appendChild(canvas);
        return new Chart(canvas, {
          type: "line",
          data: { datasets: [{ data, borderColor: "#1d4ed8", borderWidth: 1, pointRadius: 0, fill: true,
            backgroundColor: "rgba(29,78,216,0.25)", spanGaps: false }] },
          options: {
            animation: false, parsing: false, normalized: true, responsive: false,
            scales: { x: { type: "linear" } },
            plugins: { decimation: { enabled: true, algorithm: "min-max" }, legend: { display: false } },
          },
        });
      },
      canvas: c => c.canvas,
      async view(c, min, max) {
        c.options.scales.x.min = min; c.options.scales.x.max = max;
        c.update("none");
      },
      // Chart.js throttles DOM events to the next frame; its handler is called
      // directly so the time is its work, not the wait for a frame.
      hover(c, x) {
        const native = new MouseEvent("mousemove", { clientX: x, clientY: HEIGHT / 2 });
        c._eventHandler({ type: "mousemove", native, x, y: HEIGHT / 2 });
      },
      extent: d => [d[0].x, d[d.length - 1].x],
      external: () => 0,
      destroy: c => c.destroy(),
    },
  };

  async function run(name, text, host, runs) {
    const decode = decoders[name], chart = charts[name];
    const times = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      decode(text);
      times.push(performance.now() - started);
    }
    const decodeMs = median(times);
    // Memory counts the data too, as ours does.
    host.innerHTML = "";
    const before = heap();
    const data = decode(text);
    const [from, to] = chart.extent(data);
    const span = to - from;
    let kept = null;
    const cold = [];
    for (let i = 0; i < runs; i++) {
      if (kept) { chart.destroy(kept); kept = null; host.innerHTML = ""; }
      const started = performance.now();
      kept = await chart.create(data, host);
      settle(chart.canvas(kept));
      cold.push(performance.now() - started);
    }
    const memory = heap() - before + chart.external(data);
    // Each redraw's time with the raster finished, and to the last draw call.
    const redraw = async views => {
      const total = [], issued = [];
      for (const [min, max] of views) {
        const started = performance.now();
        await chart.view(kept, min, max);
        issued.push(performance.now() - started);
        settle(chart.canvas(kept));
        total.push(performance.now() - started);
      }
      return [median(total), median(issued)];
    };
    const half = [from + span / 4, to - span / 4];
    const quarter = [from + span * 3 / 8, to - span * 3 / 8];
    const many = runs * 3;
    const [zoom, zoomIssued] = await redraw(Array.from({ length: many }, (_, i) => (i % 2 === 0 ? half : quarter)));
    const shift = span / 2 * 0.1;
    const [pan] = await redraw(Array.from({ length: many }, (_, i) => (i % 2 === 0
      ? [half[0] + shift, half[1] + shift] : [half[0] - shift, half[1] - shift])));
    await chart.view(kept, from, to);
    const hovers = [];
    // The clock ticks in 0.1 ms steps: each sample is a batch of hovers.
    const BATCH = 20;
    for (let i = 0; i < runs * 5; i++) {
      const started = performance.now();
      for (let j = 0; j < BATCH; j++) chart.hover(kept, 80 + ((i * BATCH + j) * 97) % 1000);
      hovers.push((performance.now() - started) / BATCH);
    }
    chart.destroy(kept);
    host.innerHTML = "";
    return { decode: decodeMs, cold: median(cold), zoom, zoom_issued: zoomIssued, pan, hover: median(hovers), memory };
  }

  window.benchPeers = { run };
})();

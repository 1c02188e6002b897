// Winning paylines drawn over a slot's reels: one line through the centre of the cell the
// payline reads on every reel, from the first reel to the last, in a layer above the
// symbols that takes no clicks. Drawn in the reels' own pixels when the spin has stopped.

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/** Remove the lines drawn on `reelsNode`. */
export function clearPaylines(reelsNode) {
  reelsNode.querySelector("svg.paylines")?.remove();
}

/** Draw `spin`'s winning lines (`spin.wins[].line`, indexes into `paylines`) on `reelsNode`. */
export function drawPaylines(reelsNode, paylines, rows, spin) {
  clearPaylines(reelsNode);
  const wins = spin.wins || [];
  if (!wins.length) return;
  const reels = [...reelsNode.querySelectorAll(".reel")];
  const width = reelsNode.clientWidth;
  const height = reelsNode.clientHeight;
  const layer = svg("svg", {
    class: "paylines",
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: "none",
    "aria-hidden": "true",
  });
  wins.forEach((win, order) => {
    const points = paylines[win.line].map((row, index) => {
      const reel = reels[index];
      const x = reel.offsetLeft + reel.offsetWidth / 2;
      const y = reel.offsetTop + ((row + 0.5) * reel.offsetHeight) / rows;
      return `${x},${y}`;
    });
    layer.append(
      svg("polyline", {
        points: points.join(" "),
        class: `payline payline-${order % 4}`,
        "data-line": win.line,
      }),
    );
  });
  reelsNode.append(layer);
}

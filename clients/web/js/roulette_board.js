// The roulette board's bets: every bet the server accepts (games/roulette.py), each with its
// wire form, its words and its place on the board, laid across on a wide screen (`wide`:
// column, row, column span, row span) and down on a phone (`tall`). Numbers, dozens,
// columns and even-money bets are cells with a label; inside bets between numbers (split,
// street, corner, six line, trio, first four) are spots centred on the line or corner they
// share, spanning the cells they cover, as chips sit on a real layout. `words` name a bet
// in the bet slip and to screen readers.

const RED = new Set([1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]);
export const colour = (n) => (n === 0 ? "green" : RED.has(n) ? "red" : "black");

// Number n's cell: across, columns 2-13 hold the streets and 3 is on the top row; down,
// rows 2-13 hold the streets and 1 is in the left number column.
const across = (n) => ({ c: Math.ceil(n / 3) + 1, r: 3 - ((n - 1) % 3) });
const down = (n) => ({ c: ((n - 1) % 3) + 2, r: Math.ceil(n / 3) + 1 });

/** The grid box spanning the cells of `numbers` (none of them zero) in one layout. */
function box(numbers, place) {
  const cells = numbers.map(place);
  const cs = cells.map((cell) => cell.c);
  const rs = cells.map((cell) => cell.r);
  const c = Math.min(...cs);
  const r = Math.min(...rs);
  return [c, r, Math.max(...cs) - c + 1, Math.max(...rs) - r + 1];
}

const NAMES = {
  split: "split",
  street: "street",
  corner: "corner",
  six_line: "six line",
  trio: "trio",
  first_four: "first four",
};

function spot(type, numbers, wide, tall) {
  const sorted = [...numbers].sort((a, b) => a - b);
  return {
    key: `${type}:${sorted.join("-")}`,
    bet: { type, numbers: sorted },
    label: `${NAMES[type]} ${sorted.join("-")}`,
    words: `${NAMES[type]} ${sorted.join("-")}`,
    spot: true,
    wide,
    tall,
  };
}

function insideSpots() {
  const spots = [];
  for (let n = 1; n <= 3; n += 1) {
    // A split with zero: on zero's edge next to n.
    spots.push(spot("split", [0, n], [1, across(n).r, 2, 1], [down(n).c, 1, 1, 2]));
  }
  spots.push(spot("trio", [0, 1, 2], [1, 2, 2, 2], [2, 1, 2, 2]));
  spots.push(spot("trio", [0, 2, 3], [1, 1, 2, 2], [3, 1, 2, 2]));
  spots.push(spot("first_four", [0, 1, 2, 3], [1, 3, 2, 2], [1, 1, 2, 2]));
  for (let n = 1; n <= 36; n += 1) {
    if (n % 3 !== 0) spots.push(spot("split", [n, n + 1], box([n, n + 1], across), box([n, n + 1], down)));
    if (n <= 33) spots.push(spot("split", [n, n + 3], box([n, n + 3], across), box([n, n + 3], down)));
    if (n % 3 !== 0 && n <= 32) {
      const four = [n, n + 1, n + 3, n + 4];
      spots.push(spot("corner", four, box(four, across), box(four, down)));
    }
  }
  for (let row = 0; row < 12; row += 1) {
    const first = 3 * row + 1;
    const street = [first, first + 1, first + 2];
    // On the street's outer edge: across, its foot (where the dozens start); down, its left.
    spots.push(spot("street", street, [across(first).c, 3, 1, 2], [1, down(first).r, 2, 1]));
    if (row < 11) {
      const six = [...street, first + 3, first + 4, first + 5];
      spots.push(spot("six_line", six, [across(first).c, 3, 2, 2], [1, down(first).r, 2, 2]));
    }
  }
  return spots;
}

/** Every bet the board offers: cells first (drawn under), then the spots between them. */
export function boardBets() {
  const bets = [
    {
      key: "straight:0",
      bet: { type: "straight", numbers: [0] },
      label: "0",
      words: "number 0",
      cls: "green",
      wide: [1, 1, 1, 3],
      tall: [2, 1, 3, 1],
    },
  ];
  for (let n = 1; n <= 36; n += 1) {
    const wide = across(n);
    const tall = down(n);
    bets.push({
      key: `straight:${n}`,
      bet: { type: "straight", numbers: [n] },
      label: String(n),
      words: `number ${n}`,
      cls: colour(n),
      wide: [wide.c, wide.r, 1, 1],
      tall: [tall.c, tall.r, 1, 1],
    });
  }
  for (let i = 1; i <= 3; i += 1) {
    bets.push({
      key: `column:${i}`,
      bet: { type: "column", index: i },
      label: "2 to 1",
      words: `column ${i} (2 to 1)`,
      cls: "outside",
      wide: [14, 4 - i, 1, 1],
      tall: [i + 1, 14, 1, 1],
    });
    bets.push({
      key: `dozen:${i}`,
      bet: { type: "dozen", index: i },
      label: `${["1st", "2nd", "3rd"][i - 1]} 12`,
      words: `${["1st", "2nd", "3rd"][i - 1]} dozen`,
      cls: "outside",
      wide: [4 * i - 2, 4, 4, 1],
      tall: [1, 4 * i - 2, 1, 4],
    });
  }
  const even = [
    ["low", "1–18"],
    ["even", "Even"],
    ["red", "Red"],
    ["black", "Black"],
    ["odd", "Odd"],
    ["high", "19–36"],
  ];
  even.forEach(([type, label], i) =>
    bets.push({
      key: type,
      bet: { type },
      label,
      words: label,
      cls: `outside ${type}`,
      wide: [2 * i + 2, 5, 2, 1],
      tall: [5, 2 * i + 2, 1, 2],
    }),
  );
  return [...bets, ...insideSpots()];
}

/** The board key of a bet as the server describes it (a reply's `outcome.bets`). */
export const keyOf = (bet) =>
  bet.numbers ? `${bet.type}:${[...bet.numbers].sort((a, b) => a - b).join("-")}` : bet.index ? `${bet.type}:${bet.index}` : bet.type;

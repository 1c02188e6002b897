// The reel strips and paylines of the house slots, as games/classic_slot.py and
// games/video_slot.py define them (tests/test_web_client.py holds the two equal).
// The page spins the real strips, and replays Classic Sevens' stops to verify a round.
// A payline lists the row (0 = top) it reads on each reel.

// prettier-ignore
export const MACHINES = {
  "classic-sevens": {
    rows: 3,
    strips: [
      [
        "7", "-", "CHERRY", "LEMON", "BAR", "-", "PLUM", "LEMON", "BELL", "-", "CHERRY", "PLUM",
        "LEMON", "-", "BAR", "BELL", "LEMON", "-", "PLUM", "CHERRY", "LEMON", "-", "BELL", "PLUM",
      ],
      [
        "7", "LEMON", "-", "PLUM", "CHERRY", "BAR", "LEMON", "-", "BELL", "PLUM", "-", "LEMON",
        "CHERRY", "BAR", "-", "PLUM", "BELL", "LEMON", "-", "CHERRY", "PLUM", "-", "LEMON", "BELL",
      ],
      [
        "7", "PLUM", "-", "LEMON", "BELL", "-", "CHERRY", "BAR", "LEMON", "-", "PLUM", "BELL",
        "-", "LEMON", "CHERRY", "PLUM", "-", "BAR", "LEMON", "-", "BELL", "CHERRY", "PLUM", "LEMON",
      ],
    ],
    paylines: [
      [1, 1, 1], [0, 0, 0], [2, 2, 2], [0, 1, 2], [2, 1, 0],
    ],
  },
  "crown-jewels": {
    rows: 3,
    strips: [
      [
        "CROWN", "J", "Q", "SCATTER", "10", "A", "BELL", "K", "J", "RUBY", "10", "Q",
        "WILD", "K", "J", "BELL", "A", "10", "Q", "RUBY", "J", "K", "10", "J",
        "A", "Q", "BELL", "J", "10", "K", "A", "Q",
      ],
      [
        "10", "A", "J", "K", "SCATTER", "Q", "BELL", "RUBY", "10", "J", "WILD", "A",
        "K", "Q", "CROWN", "10", "J", "BELL", "A", "Q", "K", "J", "J", "10",
        "RUBY", "Q", "A", "K", "WILD", "J", "10", "BELL",
      ],
      [
        "J", "Q", "K", "A", "10", "SCATTER", "BELL", "J", "RUBY", "Q", "10", "WILD",
        "K", "A", "CROWN", "J", "Q", "10", "BELL", "J", "K", "A", "J", "RUBY",
        "10", "Q", "WILD", "K", "J", "A", "10", "Q",
      ],
      [
        "Q", "10", "J", "SCATTER", "A", "K", "BELL", "RUBY", "Q", "J", "10", "WILD",
        "A", "K", "CROWN", "Q", "J", "10", "J", "BELL", "A", "K", "RUBY", "J",
        "Q", "10", "A", "K", "J", "Q", "10", "BELL",
      ],
      [
        "K", "J", "10", "A", "SCATTER", "Q", "BELL", "J", "RUBY", "10", "K", "A",
        "WILD", "Q", "J", "10", "CROWN", "K", "A", "J", "J", "Q", "BELL", "10",
        "K", "RUBY", "A", "J", "Q", "10", "K", "A",
      ],
    ],
    paylines: [
      [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2], [0, 1, 2, 1, 0], [2, 1, 0, 1, 2],
      [0, 0, 1, 2, 2], [2, 2, 1, 0, 0], [1, 0, 0, 0, 1], [1, 2, 2, 2, 1], [0, 1, 1, 1, 0],
      [2, 1, 1, 1, 2], [1, 0, 1, 2, 1], [1, 2, 1, 0, 1], [0, 1, 0, 1, 0], [2, 1, 2, 1, 2],
      [1, 1, 0, 1, 1], [1, 1, 2, 1, 1], [0, 0, 2, 0, 0], [2, 2, 0, 2, 2], [0, 2, 0, 2, 0],
    ],
  },
};

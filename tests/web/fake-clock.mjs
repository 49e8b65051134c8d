// A clock that runs only when a test moves it, in the shape the room's pacing code takes
// (`{ now, setTimeout, clearTimeout }`): timers fire in order, each at its own time.

export function fakeClock() {
  const clock = {
    at: 0,
    timers: [],
    now: () => clock.at,
    setTimeout: (fn, ms) => {
      const timer = { due: clock.at + ms, fn };
      clock.timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => { clock.timers = clock.timers.filter((x) => x !== timer); },
    /** Moves the clock `ms` on, firing every timer due meanwhile. */
    advance(ms) {
      const until = clock.at + ms;
      for (;;) {
        const next = clock.timers.filter((x) => x.due <= until).sort((x, y) => x.due - y.due)[0];
        if (!next) break;
        clock.timers = clock.timers.filter((x) => x !== next);
        clock.at = next.due;
        next.fn();
      }
      clock.at = until;
    },
  };
  return clock;
}

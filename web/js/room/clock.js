// The page's clock, as the timers of the room's small state machines take it: the unit tests
// hand them a fake one instead (tests/web/).

export const systemClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

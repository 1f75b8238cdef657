"""The resolution cache: what gliad answered for (asset, variant, pkg)
under the preferences of the moment, so that an insert in a loop over a
whole model costs a dict lookup.

The cache is only as good as the notifications behind it (_notes.py), so:
- nothing is stored unless a subscription is live, and the subscription is
  made (synchronously) before the first resolution that could be stored;
  while gliad is away (restarting) nothing is stored, and every
  resubscription drops the cache: a change made while nobody listened
  cannot leave a stale entry behind;
- a resolution is stored only if no drop happened while it was being
  asked for (`epoch`) and no notification waits unread in the socket, so
  an answer computed under the old preferences cannot be stored after the
  notification that dropped them.
"""

# _thread, not threading: see _connection.py.
import _thread


class FastPath:
    """What glia.insert's fast path reads, in Python (__init__.py) and in C
    (_speedups.c), and nothing else of glia's: the common case alone, under
    the current preferences. `density` maps an asset to the full name of its
    density mechanism, `point` an asset to the maker of its point processes
    (see _neuron.py), and `section_type` is NEURON's Section type once
    NEURON is loaded. A drop replaces the dicts, never clears them: a reader
    holding the old one (C, while NEURON runs) sees a consistent, if
    dropped, dict."""

    __slots__ = ("density", "point", "section_type")

    def __init__(self):
        self.density = {}
        self.point = {}
        self.section_type = None

    def drop(self):
        self.density = {}
        self.point = {}


class ResolutionCache:
    """entries: (asset, variant, pkg, prefs key) -> (full name, point
    process?); fast: the FastPath. `lock` guards `epoch` and every store;
    `quiet()` (the notifications' say) is True while a subscription is
    live and nothing waits unread in it."""

    def __init__(self):
        self.entries = {}
        self.fast = FastPath()
        self.lock = _thread.allocate_lock()
        self.epoch = 0  # bumped by every drop
        self.quiet = lambda: False

    def after_fork(self):
        """A forked child starts with a lock no thread of the parent holds,
        and nothing cached: its notifications are not the parent's."""
        self.lock = _thread.allocate_lock()
        self.drop()

    def drop(self):
        """Drops everything, without the lock: SIGURG's handler calls this
        between two bytecodes, maybe inside store. Fresh dicts and a new
        epoch are enough for anything in flight to see the drop."""
        self.epoch += 1
        self.entries = {}
        self.fast.drop()

    def forget(self):
        """Drops everything; the listener thread calls this while the script
        inserts."""
        with self.lock:
            self.drop()

    def drop_fast(self):  # with lock held
        """The preferences changed: entries are keyed by the preferences,
        the fast path is not."""
        self.epoch += 1
        self.fast.drop()

    def store(self, epoch, key, hit, fast_asset, maker=None):
        """Caches a resolution asked for at `epoch`, unless the caches were
        dropped since, a notification waits unread, or no subscription
        would tell when to drop it (the socket closed, unnoticed yet).
        fast_asset: the asset name the fast path knows it by (None: not the
        common case); maker: a point process's maker for it."""
        with self.lock:
            # The dicts first: if SIGURG's handler replaces them after the
            # checks, these writes go to the dropped ones.
            entries, density, point = self.entries, self.fast.density, self.fast.point
            if epoch != self.epoch or not self.quiet():
                return
            entries[key] = hit
            if fast_asset is not None:
                if hit[1]:
                    point[fast_asset] = maker
                else:
                    density[fast_asset] = hit[0]

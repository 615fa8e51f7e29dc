"""How the production server runs its workers.

Reflex 0.10 starts Granian without worker respawn, so one worker that dies (a crash, the OOM
killer, a kill) stopped the whole server and every voter on it (measured: no answer on /ping
after killing one of two workers). Granian can respawn failed workers; Reflex gives no setting
for it, so its default is changed here, in the process that starts Granian (rxconfig imports this).
"""

from __future__ import annotations

import functools


def respawn_failed_workers() -> None:
    try:
        from granian import Granian
    except ImportError:  # no Granian (a test process): nothing to change
        return
    if getattr(Granian.__init__, "_rv_respawn", False):
        return
    original = Granian.__init__

    @functools.wraps(original)
    def init(self, *args, respawn_failed_workers: bool = True, respawn_interval: float = 0.5, **kwargs):
        original(self, *args, respawn_failed_workers=respawn_failed_workers, respawn_interval=respawn_interval,
                 **kwargs)

    init._rv_respawn = True
    Granian.__init__ = init

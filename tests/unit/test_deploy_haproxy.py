"""deploy/haproxy.cfg, the reference deployment's balancer, is a configuration Debian's HAProxy
accepts (the node-loss run that starts it is in make bench-prod, not in make test)."""

import os
import shutil
import subprocess

from tests.support.topology import CONFIG


def test_haproxy_accepts_the_reference_configuration():
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"  # make services installs it
    env = {**os.environ, "LB_BIND": "127.0.0.1:8080", "LB_STATS_BIND": "127.0.0.1:8404",
           "NODE1": "127.0.0.1:3001", "NODE2": "127.0.0.1:3002"}
    checked = subprocess.run([haproxy, "-c", "-f", str(CONFIG)], env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

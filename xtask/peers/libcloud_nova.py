"""A peer for `cargo xtask bench compute`: N nodes created, waited until running and destroyed through
Apache Libcloud's OpenStack driver on mimic (Keystone v2.0), with 8 threads (the recipe of Libcloud's
docs: one driver per thread, since drivers are not thread safe). Nova makes one server per create call,
for Libcloud as for ours.

Usage: python libcloud_nova.py N AUTH_URL TENANT
Prints one row in the format of `bench-compute`.
"""
import collections
import concurrent.futures
import resource
import sys
import threading
import time

from libcloud.compute.base import NodeImage, NodeSize
from libcloud.compute.providers import get_driver
from libcloud.compute.types import Provider

THREADS = 8
WAIT_TIMEOUT = 120

total, auth_url, tenant = int(sys.argv[1]), sys.argv[2], sys.argv[3]
local = threading.local()
lock = threading.Lock()
actions = collections.Counter()


def driver():
    if not hasattr(local, "driver"):
        cls = get_driver(Provider.OPENSTACK)
        base = auth_url.rsplit("/identity/", 1)[0]
        d = cls(tenant, "bench", ex_force_auth_url=base + "/identity",
                ex_force_auth_version="2.0_password", ex_tenant_name=tenant,
                ex_force_service_region="ORD", ex_force_service_name="cloudServersOpenStack")
        request = d.connection.request

        def counted(action, params=None, data=None, headers=None, method="GET", *args, **kwargs):
            with lock:
                actions[(method, action.split("?")[0].rsplit("/", 1)[-1])] += 1
            return request(action, params, data, headers, method, *args, **kwargs)

        d.connection.request = counted
        local.driver = d
    return local.driver


def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss


cpu0, _ = usage()
start = time.monotonic()
failure = ""
nodes = []
try:
    image = NodeImage(id=driver().list_images()[0].id, name=None, driver=driver())
    size = NodeSize(id="2", name="2", ram=None, disk=None, bandwidth=None, price=None,
                    driver=driver())
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        nodes = list(pool.map(
            lambda i: driver().create_node(name=f"bench-{i}", size=size, image=image),
            range(total)))
    try:
        driver().wait_until_running(nodes, wait_period=1, timeout=WAIT_TIMEOUT)
    except Exception as e:  # Libcloud raises a bare LibcloudError on timeout
        failure = f" (wait failed: {getattr(e, 'value', e)})"
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda n: driver().destroy_node(n), nodes))
except Exception as e:
    failure = f" (failed: {e})"
wall = time.monotonic() - start
cpu1, rss_kib = usage()
creates = actions[("POST", "servers")]
lists = sum(n for (method, last), n in actions.items() if method == "GET" and last == "detail")
print(f"{'libcloud':<10} {wall:>8.2f}s {sum(actions.values()):>10} {creates:>16} {lists:>14} "
      f"{cpu1 - cpu0:>9.2f}s {rss_kib / 1024:>7.1f} MiB{failure}")

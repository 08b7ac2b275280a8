"""The roles of a ps-lite job, the environment that tells each its part, the addresses they
bind, and how a job spans machines (notebook 09_distributed).

A distributed MXNet job is one scheduler, some servers and some workers, each a process
that runs the same command; the ``DMLC_*`` environment variables tell each one its role
and where the scheduler is (``role_env``). Every role binds to loopback unless told
otherwise: ps-lite traffic is neither authenticated nor encrypted, and a wildcard address
is refused (``check_address``). Across machines, ``plan`` deals the roles out over the
hosts and ``plan_commands`` gives the launcher's command line to type on each.
``listening_sockets`` shows which addresses a job's processes listen on.

The launcher that starts the roles and watches them is helpers/distributed.py.
Importing this module starts nothing and does not import MXNet.
"""
import ipaddress
import os
import shlex
import socket
import sys

LOOPBACK = "127.0.0.1"
ROLES = ("scheduler", "server", "worker")
SECURITY_WARNING = (
    "ps-lite traffic is neither authenticated nor encrypted: anyone who can reach these "
    "ports can join the job, read the parameters or send it data. Use a private network "
    "you trust (or a VPN), closed to everyone else by a firewall.")


def check_address(host, what="--host", resolve=True):
    """Return `host` if it is an address (or a name of one) a node can bind and announce.

    Refuses a wildcard such as 0.0.0.0: ps-lite would listen on every interface and
    announce an address that other machines cannot connect to. With `resolve`, a name
    must resolve here (not so for a plan made for other machines).
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not resolve:
            return host
        try:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        except (OSError, UnicodeError) as e:
            raise ValueError(f"{what} {host!r} does not resolve to an address ({e}); give "
                             "an IP address, or a name this machine resolves") from None
    if address.is_unspecified:
        raise ValueError(f"{what} {host} is a wildcard: ps-lite would listen on every "
                         "interface of this machine and announce an address other machines "
                         "cannot connect to. Give this machine's address on the private "
                         f"network (or {LOOPBACK}).")
    return host


def is_loopback(host):
    """Whether `host` (an address, or a name this machine resolves) is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback


def role_env(role, scheduler, num_workers, num_servers, host=LOOPBACK, base=None):
    """The environment of one ps-lite role: `base` (default os.environ) plus the DMLC_* settings.

    scheduler: (address, port) of the scheduler; host: the address this node binds to
    and announces to the others (loopback unless the job spans machines).
    """
    env = dict(os.environ if base is None else base)
    env.update({
        "DMLC_ROLE": role,
        "DMLC_PS_ROOT_URI": str(scheduler[0]),
        "DMLC_PS_ROOT_PORT": str(scheduler[1]),
        "DMLC_NUM_WORKER": str(num_workers),
        "DMLC_NUM_SERVER": str(num_servers),
        "DMLC_NODE_HOST": str(host),  # else ps-lite guesses an interface, the LAN one
    })
    if is_loopback(host) and sys.platform == "linux":
        env["DMLC_INTERFACE"] = "lo"
    # Several roles share the cores: one compute thread each, unless the caller chose.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")  # lines arrive as they are printed
    return env



def listening_sockets(pids):
    """The TCP addresses the processes `pids` listen on: [(pid, address, port)] (Linux only).

    Reads /proc: each process's socket inodes, then the LISTEN entries of /proc/net/tcp
    and tcp6. ZeroMQ, which ps-lite uses, listens on TCP only.
    """
    inodes = {}
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = pid
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # exited meanwhile
    found = []
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        try:
            rows = open(table).read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            hex_address, hex_port = local.split(":")
            # /proc prints the address as 32-bit words in the host's (little-endian) order
            raw = b"".join(bytes.fromhex(hex_address[i:i + 8])[::-1]
                           for i in range(0, len(hex_address), 8))
            found.append((inodes[inode], str(ipaddress.ip_address(raw[:width])),
                          int(hex_port, 16)))
    return sorted(found)

# ---------------------------------------------------------------------- several machines

def plan(hosts, num_workers, num_servers, port):
    """Which roles run on which machine: [(host, roles)], the scheduler on the first host.

    Servers and workers go round the hosts in turn, so two hosts and 1 server, 2 workers
    give [(A, [scheduler, server, worker]), (B, [worker])].
    """
    if not hosts:
        raise ValueError("give at least one host")
    if len(set(hosts)) != len(hosts):
        raise ValueError(f"hosts {hosts} repeat: name each machine once")
    for host in hosts:
        check_address(host, "host", resolve=False)
    if not 0 < int(port) < 65536:
        raise ValueError(f"port {port} is not a TCP port (1-65535)")
    assigned = {host: [] for host in hosts}
    assigned[hosts[0]].append("scheduler")
    for i in range(num_servers):
        assigned[hosts[i % len(hosts)]].append("server")
    for i in range(num_workers):
        assigned[hosts[i % len(hosts)]].append("worker")
    return [(host, roles) for host, roles in assigned.items() if roles]


def plan_commands(hosts, num_workers, num_servers, port, command, timeout=600,
                  python=".venv/bin/python"):
    """The launcher command line to type on each host, in the kit's folder: [(host, line)]."""
    lines = []
    for host, roles in plan(hosts, num_workers, num_servers, port):
        args = [python, "-m", "helpers.distributed", "-n", str(num_workers),
                "-s", str(num_servers), "--host", host, "--scheduler", f"{hosts[0]}:{port}",
                "--roles", ",".join(roles), "--timeout", f"{timeout:g}", "--", *command]
        lines.append((host, shlex.join(args)))
    return lines

# One system call as whoever runs it, for the permission suites: prints "ok" (and the value read) or
# the errno's name, so a transcript compares exactly with the same call on a kernel file system.
# Usage: probe.py OP PATH [ARGS]; ops: utime (UTIME_NOW), utime0 (explicit 0), setx NAME VALUE,
# getx NAME, rmx NAME, access r|w|x, chown UID GID (-1: unchanged).
import errno, os, sys

op, path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    if op == "utime":
        os.utime(path)
    elif op == "utime0":
        os.utime(path, ns=(0, 0))
    elif op == "setx":
        os.setxattr(path, args[0], args[1].encode())
    elif op == "getx":
        print("ok", os.getxattr(path, args[0]).decode(errors="backslashreplace"))
        sys.exit(0)
    elif op == "rmx":
        os.removexattr(path, args[0])
    elif op == "access":
        if not os.access(path, {"r": os.R_OK, "w": os.W_OK, "x": os.X_OK}[args[0]]):
            print("denied")
            sys.exit(1)
    elif op == "chown":
        os.chown(path, int(args[0]), int(args[1]))
    else:
        sys.exit("unknown op " + op)
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)

"""`python -m emulator`: serve the emulated Entra ID + Graph over HTTPS until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from emulator.faults import FaultConfig
from emulator.org import DEFAULT_ORG_FILE, Org
from emulator.server import Emulator
from emulator.tls import DEFAULT_FOLDER, ensure_certificates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", default=str(DEFAULT_FOLDER), help="folder for ca.pem, server.pem, server.key")
    parser.add_argument("--org", default=str(DEFAULT_ORG_FILE), help="directory JSON file")
    parser.add_argument("--faults", default=None, help="fault configuration JSON file")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="expires_in of access tokens, seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(args: argparse.Namespace) -> None:
    faults = FaultConfig.load(args.faults) if args.faults else None
    emulator = Emulator(Org.load(args.org), faults)
    emulator.entra.access_token_lifetime = args.token_lifetime
    tls = await emulator.start(port=args.port, host=args.host, tls=ensure_certificates(args.data))
    base = f"https://localhost:{emulator.port}"
    # stdout, not logging: these lines are the command's output, and emulator_process() reads them
    sys.stdout.write(
        f"AUTHORITY_HOST={base}\nGRAPH_BASE_URL={base}/v1.0\nAUTHORITY_CA_BUNDLE={tls.ca_file.resolve()}\n"
        f"GRAPH_CLIENT_ID={emulator.org.apps[0].client_id}\n"
        + "".join(f"tenant {t.display_name}: {t.id}\n" for t in emulator.org.tenants)
        + f"CA file: {tls.ca_file.resolve()}\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Drive Tern with QEMU's own Python QMP client (the `qemu.qmp` package from
PyPI): connect, negotiate, run commands, receive events, use HMP.

Run: python3 tests/python/test_qmp.py [path/to/tern]   (default: target/debug/tern,
or $TERN). Exits non-zero on failure.
"""

import asyncio
import os
import struct
import subprocess
import sys
import tempfile
import unittest

from qemu.qmp import ConnectError, ExecuteError, QMPClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TERN = os.environ.get("TERN", os.path.join(ROOT, "target", "debug", "tern"))

# addi t0, t0, 1; j .-4: counts in t0 forever.
LOOP = [0x00128293, 0xFFDFF06F]


class TernQmp(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        kernel = os.path.join(self.tmp.name, "k.bin")
        with open(kernel, "wb") as f:
            f.write(b"".join(struct.pack("<I", w) for w in LOOP))
        self.sock = os.path.join(self.tmp.name, "qmp.sock")
        self.proc = subprocess.Popen(
            [TERN, "-machine", "virt", "-bios", "none", "-nographic", "-kernel", kernel,
             "-qmp", f"unix:{self.sock},server=on,wait=off", "-S", "-name", "py"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(500):
            if os.path.exists(self.sock):
                break
            await asyncio.sleep(0.01)
        self.qmp = QMPClient("tern-test")
        # The socket file appears at bind(), a moment before listen().
        for attempt in range(200):
            try:
                await self.qmp.connect(self.sock)
                break
            except ConnectError:
                if attempt == 199:
                    raise
                await asyncio.sleep(0.01)

    async def asyncTearDown(self):
        try:
            await self.qmp.disconnect()
        except EOFError:
            # After `quit` the server is gone, as with QEMU.
            self.assertIsNotNone(self.proc.poll())
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stderr.close()
        self.tmp.cleanup()

    async def test_greeting_and_queries(self):
        greeting = self.qmp.greeting
        self.assertEqual(greeting.QMP.version["qemu"]["major"], 7)
        self.assertEqual(greeting.QMP.version["package"], "tern 0.1.0")
        self.assertEqual(greeting.QMP.capabilities, ["oob"])
        self.assertEqual(await self.qmp.execute("query-status"),
                         {"status": "prelaunch", "singlestep": False, "running": False})
        self.assertEqual(await self.qmp.execute("query-name"), {"name": "py"})
        self.assertEqual(await self.qmp.execute("human-monitor-command", {"command-line": "info name"}), "py\r\n")
        names = {c["name"] for c in await self.qmp.execute("query-commands")}
        self.assertTrue({"stop", "cont", "x-query-registers", "hello-world"} <= names)
        schema = await self.qmp.execute("query-qmp-schema")
        commands = {e["name"] for e in schema if e["meta-type"] == "command"}
        self.assertEqual(commands, names)

    async def test_hello_world_as_the_seeds_define_it(self):
        self.assertEqual(await self.qmp.execute("hello-world"), {})
        self.assertEqual(await self.qmp.execute("hello-world", {"message": "We like qemu"}), {})
        with self.assertRaises(ExecuteError) as cm:
            await self.qmp.execute("hello-world", {"message": "all you need is love"})
        self.assertEqual(cm.exception.error_class, "GenericError")
        self.assertEqual(cm.exception.error.error.desc, "the word 'love' is not allowed")
        text = await self.qmp.execute("human-monitor-command",
                                      {"command-line": "hello-world \"I love qemu\""})
        self.assertEqual(text, "Error: the word 'love' is not allowed\r\n")
        # { 'command': 'hello-world', 'data': { '*message': 'str' } }, as introspection shows it.
        schema = {e["name"]: e for e in await self.qmp.execute("query-qmp-schema")}
        cmd = schema["hello-world"]
        self.assertEqual(cmd["ret-type"], "0")
        self.assertNotIn("allow-oob", cmd)
        self.assertEqual(schema[cmd["arg-type"]]["members"], [{"name": "message", "default": None, "type": "str"}])
        self.assertEqual(schema["0"]["members"], [])

    async def test_errors_raise(self):
        with self.assertRaises(ExecuteError) as cm:
            await self.qmp.execute("no-such-command")
        self.assertEqual(cm.exception.error_class, "CommandNotFound")
        with self.assertRaises(ExecuteError) as cm:
            await self.qmp.execute("hello-world", {"bogus": 1})
        self.assertEqual(cm.exception.error.error.desc, "Parameter 'bogus' is unexpected")

    async def test_run_control_events_and_hmp(self):
        with self.qmp.listener() as listener:
            await self.qmp.execute("cont")
            event = await asyncio.wait_for(listener.get(), 5)
            self.assertEqual(event["event"], "RESUME")
            self.assertIn("seconds", event["timestamp"])
            status = await self.qmp.execute("query-status")
            self.assertEqual(status["status"], "running")
            await self.qmp.execute("stop")
            event = await asyncio.wait_for(listener.get(), 5)
            self.assertEqual(event["event"], "STOP")
        regs = (await self.qmp.execute("x-query-registers"))["human-readable-text"]
        self.assertTrue(regs.startswith("CPU#0\n pc       "), regs)
        t0 = int(regs.split("x5/t0")[1].split()[0], 16)
        self.assertGreater(t0, 0)
        text = await self.qmp.execute("human-monitor-command", {"command-line": "info status"})
        self.assertEqual(text, "VM status: paused\r\n")
        with self.qmp.listener() as listener:
            await self.qmp.execute("quit")
            event = await asyncio.wait_for(listener.get(), 5)
            self.assertEqual(event["event"], "SHUTDOWN")
            self.assertEqual(event["data"], {"guest": False, "reason": "host-qmp-quit"})
        self.assertEqual(self.proc.wait(timeout=10), 0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        TERN = sys.argv.pop(1)
    unittest.main()

"""Reads the chain the way any client can: standard Solana JSON-RPC, with accounts and
instructions decoded from the program's published IDL (idl/smart_treasury.json). The
browser tests check what the dashboard did against this, not against the API."""

import base64
import json
import struct
import urllib.request
from pathlib import Path

import base58
from solders.pubkey import Pubkey
from solders.transaction import Transaction

IDL_PATH = Path(__file__).resolve().parents[2] / "idl" / "smart_treasury.json"


class Idl:
    def __init__(self, path: Path = IDL_PATH):
        document = json.loads(path.read_text())
        self.program_id = Pubkey.from_string(document["address"])
        self.types = {item["name"]: item["type"] for item in document["types"]}
        self.accounts = {bytes(item["discriminator"]): item["name"] for item in document["accounts"]}
        self.instructions = {bytes(item["discriminator"]): item for item in document["instructions"]}

    def decode_account(self, data: bytes) -> tuple[str, dict]:
        name = self.accounts.get(bytes(data[:8]))
        if name is None:
            raise ValueError("not an account of this program")
        value, _ = self._decode({"defined": {"name": name}}, data, 8)
        return name, value

    def decode_instruction(self, data: bytes) -> tuple[str, dict]:
        """The instruction's name and its arguments."""
        instruction = self.instructions.get(bytes(data[:8]))
        if instruction is None:
            raise ValueError(f"unknown instruction discriminator {bytes(data[:8]).hex()}")
        offset, args = 8, {}
        for arg in instruction["args"]:
            args[arg["name"]], offset = self._decode(arg["type"], data, offset)
        if offset != len(data):
            raise ValueError(f"{instruction['name']}: {len(data) - offset} bytes left over")
        return instruction["name"], args

    def instruction_accounts(self, name: str) -> list[str]:
        for instruction in self.instructions.values():
            if instruction["name"] == name:
                return [account["name"] for account in instruction["accounts"]]
        raise KeyError(name)

    def _decode(self, kind, data: bytes, offset: int):
        scalars = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q", "i64": "<q", "i32": "<i", "u128": None}
        if kind == "bool":
            return data[offset] == 1, offset + 1
        if kind == "pubkey":
            return str(Pubkey.from_bytes(data[offset:offset + 32])), offset + 32
        if kind == "u128":
            return int.from_bytes(data[offset:offset + 16], "little"), offset + 16
        if kind == "string":
            (length,) = struct.unpack_from("<I", data, offset)
            return data[offset + 4:offset + 4 + length].decode(), offset + 4 + length
        if isinstance(kind, str):
            fmt = scalars[kind]
            return struct.unpack_from(fmt, data, offset)[0], offset + struct.calcsize(fmt)
        if "array" in kind:
            inner, length = kind["array"]
            if inner == "u8":
                return bytes(data[offset:offset + length]), offset + length
            values = []
            for _ in range(length):
                value, offset = self._decode(inner, data, offset)
                values.append(value)
            return values, offset
        if "vec" in kind:
            (length,) = struct.unpack_from("<I", data, offset)
            offset += 4
            values = []
            for _ in range(length):
                value, offset = self._decode(kind["vec"], data, offset)
                values.append(value)
            return values, offset
        if "option" in kind:
            if data[offset] == 0:
                return None, offset + 1
            return self._decode(kind["option"], data, offset + 1)
        if "defined" in kind:
            definition = self.types[kind["defined"]["name"]]
            if definition["kind"] == "struct":
                value = {}
                for field in definition.get("fields", []):
                    value[field["name"]], offset = self._decode(field["type"], data, offset)
                return value, offset
            variant = definition["variants"][data[offset]]
            offset += 1
            fields = {}
            for field in variant.get("fields", []):
                fields[field["name"]], offset = self._decode(field["type"], data, offset)
            return {variant["name"]: fields} if fields else variant["name"], offset
        raise ValueError(f"IDL type {kind!r} is not handled")


IDL = Idl()


class Rpc:
    """A minimal standard JSON-RPC client (the same calls any wallet or explorer makes)."""

    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, params: list):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def account_data(self, address: str) -> bytes | None:
        value = self.call("getAccountInfo", [address, {"encoding": "base64", "commitment": "confirmed"}])["value"]
        return None if value is None else base64.b64decode(value["data"][0])

    def program_account(self, address: str) -> dict:
        data = self.account_data(address)
        if data is None:
            raise LookupError(f"no account {address}")
        return IDL.decode_account(data)[1]

    def token_amount(self, address: str) -> int:
        return int(self.call("getTokenAccountBalance", [address, {"commitment": "confirmed"}])["value"]["amount"])

    def transaction(self, signature: str) -> dict | None:
        return self.call("getTransaction", [signature, {"encoding": "json", "commitment": "confirmed",
                                                        "maxSupportedTransactionVersion": 0}])

    def program_instructions(self, signature: str) -> list[tuple[str, dict, list[str]]]:
        """The program's top-level instructions in a landed transaction, decoded."""
        transaction = self.transaction(signature)["transaction"]
        message = transaction["message"]
        keys = message["accountKeys"]
        return [
            (*IDL.decode_instruction(base58.b58decode(instruction["data"])), [keys[i] for i in instruction["accounts"]])
            for instruction in message["instructions"]
            if keys[instruction["programIdIndex"]] == str(IDL.program_id)
        ]

    def token_balance_after(self, signature: str, account: str) -> int:
        """What token account `account` held once the transaction had run."""
        transaction = self.transaction(signature)
        keys = transaction["transaction"]["message"]["accountKeys"]
        [after] = [int(balance["uiTokenAmount"]["amount"]) for balance in transaction["meta"]["postTokenBalances"]
                   if keys[balance["accountIndex"]] == account]
        return after

    def signatures_for(self, address: str, limit: int = 20) -> list[dict]:
        return self.call("getSignaturesForAddress", [address, {"limit": limit, "commitment": "confirmed"}])


def managed_balance_address(treasury: str, balance_id: int) -> str:
    seeds = [b"managed_balance", bytes(Pubkey.from_string(treasury)), struct.pack("<I", balance_id)]
    return str(Pubkey.find_program_address(seeds, IDL.program_id)[0])


def pool_address(treasury: str, pool_id: int) -> str:
    seeds = [b"pool", bytes(Pubkey.from_string(treasury)), struct.pack("<H", pool_id)]
    return str(Pubkey.find_program_address(seeds, IDL.program_id)[0])


def linked_sources(managed: dict) -> list[dict]:
    return managed["sources"][: managed["source_count"]]


def decode_squads(base58_text: str) -> list[tuple[str, dict, list[str]]]:
    """A Squads import (base58 wire transaction) -> its program instructions, decoded:
    (name, args, account addresses)."""
    transaction = Transaction.from_bytes(base58.b58decode(base58_text.strip()))
    message = transaction.message
    keys = [str(key) for key in message.account_keys]
    decoded = []
    for instruction in message.instructions:
        if keys[instruction.program_id_index] != str(IDL.program_id):
            continue
        name, args = IDL.decode_instruction(bytes(instruction.data))
        decoded.append((name, args, [keys[index] for index in instruction.accounts]))
    return decoded


GUARDS = {"expect_balance_version", "expect_treasury_version"}


def after_guard(decoded: list[tuple[str, dict, list[str]]]) -> list[tuple[str, dict, list[str]]]:
    """Every change the API makes is one transaction led by a config-version guard (so a
    change made against stale settings fails whole): checks the guard leads, and returns
    the instructions after it."""
    assert decoded and decoded[0][0] in GUARDS, f"no config-version guard leads: {[item[0] for item in decoded]}"
    return decoded[1:]


def decode_realms(base64_text: str) -> tuple[str, str, dict, list[dict]]:
    """A Realms custom instruction (SPL Governance InstructionData, Borsh) -> program id,
    instruction name, args and account metas."""
    data = base64.b64decode(base64_text.strip())
    program_id = str(Pubkey.from_bytes(data[:32]))
    (count,) = struct.unpack_from("<I", data, 32)
    offset, accounts = 36, []
    for _ in range(count):
        accounts.append({"pubkey": str(Pubkey.from_bytes(data[offset:offset + 32])),
                         "isSigner": data[offset + 32] == 1, "isWritable": data[offset + 33] == 1})
        offset += 34
    (length,) = struct.unpack_from("<I", data, offset)
    payload = data[offset + 4:offset + 4 + length]
    if offset + 4 + length != len(data):
        raise ValueError("InstructionData has trailing bytes")
    name, args = IDL.decode_instruction(payload)
    return program_id, name, args, accounts

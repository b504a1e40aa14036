// Every instruction of the IDL built by @coral-xyz/anchor's own account resolution:
// given only the accounts an Anchor client cannot derive (signers, free accounts, and
// accounts whose seeds name another account's data), the client must fill in the rest
// itself, event_authority from its seeds and program from its address among them.
// Exits non-zero, naming each instruction that fails.

import anchor from "@coral-xyz/anchor";
import { readFileSync } from "node:fs";

const { AnchorProvider, BN, Program, web3 } = anchor;
const { Connection, Keypair, PublicKey } = web3;

const idlPath = process.argv[2];
const idl = JSON.parse(readFileSync(idlPath, "utf8"));
const programId = new PublicKey(idl.address);
const types = new Map(idl.types.map((type) => [type.name, type]));

// No RPC is needed: every account the client resolves here derives offline.
const wallet = {
  publicKey: Keypair.generate().publicKey,
  signTransaction: async (tx) => tx,
  signAllTransactions: async (txs) => txs,
};
const provider = new AnchorProvider(new Connection("http://127.0.0.1:9"), wallet, {});
const program = new Program(idl, provider);

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

// A value of an IDL type: zero, false, the first variant, an empty list.
function sample(type) {
  if (typeof type === "string") {
    if (type === "bool") return false;
    if (type === "pubkey") return PublicKey.default;
    if (type === "string") return "x";
    if (type === "bytes") return Buffer.alloc(0);
    if (/^[ui](8|16|32)$/.test(type)) return 0;
    return new BN(0);
  }
  if (type.option || type.coption) return null;
  if (type.vec) return [];
  if (type.array) return Array.from({ length: type.array[1] }, () => sample(type.array[0]));
  const defined = types.get(type.defined.name);
  if (defined.type.kind === "struct") {
    return Object.fromEntries((defined.type.fields ?? []).map((field) => [camel(field.name), sample(field.type)]));
  }
  const variant = defined.type.variants[0];
  const fields = (variant.fields ?? []).map((field) => [camel(field.name), sample(field.type)]);
  const key = variant.name[0].toLowerCase() + camel(variant.name.slice(1));
  return { [key]: Object.fromEntries(fields) };
}

// Seeds an offline client can compute: constants, arguments, and other accounts' keys
// (not their data, which would need a fetch).
const offline = (account) =>
  account.address !== undefined ||
  (account.pda !== undefined &&
    account.pda.seeds.every((seed) => seed.kind !== "account" || !seed.path.includes(".")));

const eventAuthority = PublicKey.findProgramAddressSync([Buffer.from("__event_authority")], programId)[0];
const failures = [];
let checked = 0;

for (const instruction of idl.instructions) {
  const given = {};
  for (const account of instruction.accounts) {
    if (!offline(account)) given[camel(account.name)] = Keypair.generate().publicKey;
  }
  const args = instruction.args.map((arg) => sample(arg.type));
  try {
    const built = await program.methods[camel(instruction.name)](...args).accounts(given).instruction();
    const keys = built.keys.map((meta) => meta.pubkey.toBase58());
    if (keys.length !== instruction.accounts.length) {
      throw new Error(`${keys.length} accounts, the IDL lists ${instruction.accounts.length}`);
    }
    instruction.accounts.forEach((account, index) => {
      if (account.name === "event_authority" && keys[index] !== eventAuthority.toBase58()) {
        throw new Error(`event_authority resolved to ${keys[index]}, not ${eventAuthority.toBase58()}`);
      }
      if (account.name === "program" && keys[index] !== programId.toBase58()) {
        throw new Error(`program resolved to ${keys[index]}, not ${programId.toBase58()}`);
      }
    });
    const resolved = instruction.accounts.filter(offline).map((account) => account.name);
    console.log(`ok ${instruction.name}: resolved ${resolved.join(", ") || "nothing"}`);
    checked += 1;
  } catch (error) {
    failures.push(`${instruction.name}: ${error.message}`);
  }
}

const withEvents = idl.instructions.filter((ix) => ix.accounts.some((account) => account.name === "event_authority"));
if (withEvents.length === 0) failures.push("no instruction names an event_authority account");
for (const failure of failures) console.error(`FAILED ${failure}`);
console.log(`${checked} of ${idl.instructions.length} instructions resolved by @coral-xyz/anchor`);
process.exit(failures.length === 0 ? 0 : 1);

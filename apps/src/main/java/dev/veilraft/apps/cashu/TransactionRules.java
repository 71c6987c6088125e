package dev.veilraft.apps.cashu;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks on inputs and outputs that need no spent set and no private key: counts, keysets,
 * denominations, duplicates, balance. The front end runs them to refuse early; the app runs them
 * again, then the stateful ones ({@link MintLedger}). Order matters for the error a client sees:
 * structure, then keysets, then amounts, then duplicates, then balance.
 */
final class TransactionRules {
  private TransactionRules() {}

  /** Inputs: 1..INPUTS_MAX proofs of known keysets, denominations, plain secrets, no secret twice. */
  static void checkInputs(List<Proof> inputs, Map<String, Keyset> keysets) throws MintRefusal {
    if (inputs.isEmpty()) {
      throw CashuJson.malformed("inputs are empty; at least one proof is needed");
    }
    if (inputs.size() > MintParameters.INPUTS_MAX) {
      throw new MintRefusal(MintError.TOO_MANY_INPUTS, inputs.size() + " inputs, at most " + MintParameters.INPUTS_MAX);
    }
    Set<String> secrets = new HashSet<>();
    for (int i = 0; i < inputs.size(); i++) {
      Proof proof = inputs.get(i);
      Keyset keyset = keyset(keysets, proof.keysetId(), "inputs[" + i + "]");
      if (keyset.key(proof.amount()) == null) {
        throw new MintRefusal(MintError.PROOF_VERIFICATION_FAILED, "inputs[" + i + "].amount " + proof.amount()
            + " is not a denomination of keyset " + keyset.id());
      }
      if (isSpendingCondition(proof.secret())) {
        throw new MintRefusal(MintError.PROOF_VERIFICATION_FAILED, "inputs[" + i + "] carries a NUT-10 spending "
            + "condition; this mint does not support NUT-10/11/14 and will not spend it unchecked");
      }
      if (!secrets.add(proof.secret())) {
        throw new MintRefusal(MintError.DUPLICATE_INPUTS, "inputs[" + i + "] repeats the secret of an earlier input");
      }
    }
  }

  /**
   * Outputs: at most OUTPUTS_MAX blinded messages for active keysets, no B_ twice; their amounts
   * are denominations unless they are NUT-08 blank outputs (whose amounts the mint sets).
   */
  static void checkOutputs(List<BlindedMessage> outputs, Map<String, Keyset> keysets, boolean blank)
      throws MintRefusal {
    if (outputs.size() > MintParameters.OUTPUTS_MAX) {
      throw new MintRefusal(MintError.TOO_MANY_OUTPUTS, outputs.size() + " outputs, at most "
          + MintParameters.OUTPUTS_MAX);
    }
    Set<ByteKey> seen = new HashSet<>();
    for (int i = 0; i < outputs.size(); i++) {
      BlindedMessage output = outputs.get(i);
      Keyset keyset = keyset(keysets, output.keysetId(), "outputs[" + i + "]");
      if (!keyset.active()) {
        throw new MintRefusal(MintError.KEYSET_INACTIVE, "outputs[" + i + "] asks for inactive keyset " + keyset.id());
      }
      if (!blank && keyset.key(output.amount()) == null) {
        throw CashuJson.malformed("outputs[" + i + "].amount " + output.amount() + " is not a denomination of keyset "
            + keyset.id() + " (powers of two up to 2^" + MintParameters.AMOUNT_EXPONENT_MAX + ")");
      }
      if (!seen.add(new ByteKey(output.blinded()))) {
        throw new MintRefusal(MintError.DUPLICATE_OUTPUTS, "outputs[" + i + "] repeats the B_ of an earlier output");
      }
    }
  }

  /** NUT-02/03: inputs minus their fee must equal the outputs exactly. */
  static void checkSwapBalance(List<Proof> inputs, List<BlindedMessage> outputs) throws MintRefusal {
    long in = inputTotal(inputs);
    long fee = MintParameters.inputFee(inputs.size());
    long out = outputTotal(outputs);
    if (in - fee != out) {
      throw new MintRefusal(MintError.UNBALANCED, "inputs " + in + " minus input fee " + fee + " is " + (in - fee)
          + ", outputs are " + out);
    }
  }

  static long inputTotal(List<Proof> inputs) {
    long total = 0;
    for (Proof p : inputs) {
      total = Math.addExact(total, p.amount());
    }
    return total;
  }

  static long outputTotal(List<BlindedMessage> outputs) {
    long total = 0;
    for (BlindedMessage m : outputs) {
      total = Math.addExact(total, m.amount());
    }
    return total;
  }

  /** A NUT-10 well-known secret: a JSON array whose first element is the kind ("P2PK", "HTLC", ...). */
  static boolean isSpendingCondition(String secret) {
    // Leading JSON whitespace too: a wallet that parses the secret as JSON would see the lock.
    String trimmed = secret.strip();
    return trimmed.startsWith("[") && trimmed.substring(1).stripLeading().startsWith("\"");
  }

  static byte[] utf8(String secret) {
    return secret.getBytes(StandardCharsets.UTF_8);
  }

  private static Keyset keyset(Map<String, Keyset> keysets, String id, String where) throws MintRefusal {
    Keyset keyset = keysets.get(id);
    if (keyset == null) {
      throw new MintRefusal(MintError.KEYSET_UNKNOWN, where + ".id " + CashuJson.clip(id) + " is not a keyset of this mint");
    }
    if (!MintParameters.UNIT.equals(keyset.unit())) {
      throw new MintRefusal(MintError.UNIT_UNSUPPORTED, where + " is in unit " + keyset.unit());
    }
    return keyset;
  }

  /** Byte arrays as set members. */
  record ByteKey(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }
}

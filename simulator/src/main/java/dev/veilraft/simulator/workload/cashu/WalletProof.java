package dev.veilraft.simulator.workload.cashu;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A proof the wallet holds: NUT-00 {@code amount, id, secret, C}, and {@code Y =
 * hash_to_curve(secret)}, the key of the mint's spent set (hex, as the history records it).
 */
public record WalletProof(long amount, String keysetId, String secret, String c, String y) {
  /** The wire form a swap or melt sends. */
  public ObjectNode toWire() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("amount", amount);
    node.put("id", keysetId);
    node.put("secret", secret);
    node.put("C", c);
    return node;
  }

  /** What the history records of an input: its amount and Y, never its secret. */
  public ObjectNode toHistory() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("amount", amount);
    node.put("Y", y);
    return node;
  }
}

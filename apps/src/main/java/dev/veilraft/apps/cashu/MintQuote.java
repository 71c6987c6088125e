package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A NUT-04/NUT-23 mint quote: pay {@code request} (a BOLT 11 invoice for {@code amount} sat),
 * then mint that much ecash once. States: UNPAID → PAID (the front end saw the payment) → ISSUED
 * (the ecash was signed). {@code expiry} is the invoice's own expiry, Unix seconds.
 */
public record MintQuote(String id, String request, byte[] paymentHash, long amount, State state, long expiry) {
  public enum State { UNPAID, PAID, ISSUED }

  public MintQuote {
    paymentHash = paymentHash.clone();
  }

  @Override
  public byte[] paymentHash() {
    return paymentHash.clone();
  }

  public MintQuote withState(State next) {
    return new MintQuote(id, request, paymentHash, amount, next, expiry);
  }

  /** The NUT-23 PostMintQuoteBolt11Response. */
  public ObjectNode toJson() {
    ObjectNode node = CashuJson.object();
    node.put("quote", id);
    node.put("request", request);
    node.put("amount", amount);
    node.put("unit", MintParameters.UNIT);
    node.put("state", state.name());
    node.put("expiry", expiry);
    return node;
  }

  ObjectNode toRecord() {
    ObjectNode node = toJson();
    node.put("payment_hash", CashuJson.hex(paymentHash));
    return node;
  }

  static MintQuote fromRecord(JsonNode node) throws MintRefusal {
    String where = "mint quote record";
    byte[] hash = CashuJson.hex(CashuJson.string(node, "payment_hash", where, 64), 32);
    if (hash == null) {
      throw CashuJson.malformed(where + " has no 32-byte payment hash");
    }
    return new MintQuote(CashuJson.string(node, "quote", where, 64),
        CashuJson.string(node, "request", where, MintParameters.INVOICE_CHARS_MAX), hash,
        CashuJson.amount(node, "amount", where), State.valueOf(CashuJson.string(node, "state", where, 16)),
        CashuJson.amount(node, "expiry", where));
  }
}

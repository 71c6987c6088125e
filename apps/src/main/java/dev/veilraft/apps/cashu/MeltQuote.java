package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A NUT-05/NUT-23 melt quote: the mint pays {@code request} ({@code amount} sat) for ecash worth
 * the amount, the fee reserve and the input fee. States: UNPAID → PENDING (inputs locked, the
 * payment in flight) → PAID (inputs spent, change signed) or back to UNPAID (payment failed,
 * inputs released). While PENDING or PAID it remembers its inputs' Ys, their value and input
 * fee, and the NUT-08 blank outputs; once PAID the preimage, the Lightning fee and the change.
 */
public record MeltQuote(String id, String request, byte[] paymentHash, long amount, long feeReserve, State state,
    long expiry, List<byte[]> inputYs, long inputAmount, long inputFee, List<BlindedMessage> blankOutputs,
    String preimage, long feePaid, List<BlindSignature> change) {
  public enum State { UNPAID, PENDING, PAID }

  public MeltQuote {
    paymentHash = paymentHash.clone();
    inputYs = List.copyOf(inputYs.stream().map(byte[]::clone).toList());
    blankOutputs = List.copyOf(blankOutputs);
    change = List.copyOf(change);
  }

  @Override
  public byte[] paymentHash() {
    return paymentHash.clone();
  }

  /** A new, unpaid quote. */
  static MeltQuote unpaid(String id, String request, byte[] paymentHash, long amount, long feeReserve, long expiry) {
    return new MeltQuote(id, request, paymentHash, amount, feeReserve, State.UNPAID, expiry, List.of(), 0, 0,
        List.of(), null, 0, List.of());
  }

  MeltQuote pending(List<byte[]> ys, long inputs, long fee, List<BlindedMessage> blanks) {
    return new MeltQuote(id, request, paymentHash, amount, feeReserve, State.PENDING, expiry, ys, inputs, fee, blanks,
        null, 0, List.of());
  }

  MeltQuote paid(String paymentPreimage, long lightningFee, List<BlindSignature> changeSignatures) {
    return new MeltQuote(id, request, paymentHash, amount, feeReserve, State.PAID, expiry, inputYs, inputAmount,
        inputFee, List.of(), paymentPreimage, lightningFee, changeSignatures);
  }

  MeltQuote released() {
    return unpaid(id, request, paymentHash, amount, feeReserve, expiry);
  }

  /** The NUT-23 PostMeltQuoteBolt11Response, with NUT-08 change when there is some. */
  public ObjectNode toJson() {
    ObjectNode node = CashuJson.object();
    node.put("quote", id);
    node.put("request", request);
    node.put("amount", amount);
    node.put("unit", MintParameters.UNIT);
    node.put("fee_reserve", feeReserve);
    node.put("state", state.name());
    node.put("expiry", expiry);
    if (preimage == null) {
      node.putNull("payment_preimage");
    } else {
      node.put("payment_preimage", preimage);
    }
    if (!change.isEmpty()) {
      node.set("change", CashuJson.signaturesJson(change));
    }
    return node;
  }

  ObjectNode toRecord() {
    ObjectNode node = toJson();
    node.put("payment_hash", CashuJson.hex(paymentHash));
    ArrayNode ys = node.putArray("input_ys");
    inputYs.forEach(y -> ys.add(CashuJson.hex(y)));
    node.put("input_amount", inputAmount);
    node.put("input_fee", inputFee);
    ArrayNode blanks = node.putArray("blank_outputs");
    blankOutputs.forEach(b -> blanks.add(CashuJson.outputJson(b)));
    node.put("fee_paid", feePaid);
    return node;
  }

  static MeltQuote fromRecord(JsonNode node) throws MintRefusal {
    String where = "melt quote record";
    byte[] hash = CashuJson.hex(CashuJson.string(node, "payment_hash", where, 64), 32);
    if (hash == null) {
      throw CashuJson.malformed(where + " has no 32-byte payment hash");
    }
    List<byte[]> ys = new ArrayList<>();
    for (JsonNode y : CashuJson.array(node, "input_ys", where, MintParameters.INPUTS_MAX, MintError.MALFORMED)) {
      ys.add(CashuJson.pointHex(y.asText(), where + " input Y"));
    }
    List<BlindSignature> change = new ArrayList<>();
    if (!CashuJson.absent(node, "change")) {
      for (JsonNode s : CashuJson.array(node, "change", where, MintParameters.OUTPUTS_MAX, MintError.MALFORMED)) {
        JsonNode dleq = CashuJson.field(s, "dleq", where);
        change.add(new BlindSignature(CashuJson.amount(s, "amount", where), CashuJson.keysetId(s, "id", where),
            CashuJson.point(s, "C_", where), scalar(dleq, "e", where), scalar(dleq, "s", where)));
      }
    }
    String preimage = CashuJson.absent(node, "payment_preimage") ? null
        : CashuJson.string(node, "payment_preimage", where, 128);
    return new MeltQuote(CashuJson.string(node, "quote", where, 64),
        CashuJson.string(node, "request", where, MintParameters.INVOICE_CHARS_MAX), hash,
        CashuJson.amount(node, "amount", where), CashuJson.amount(node, "fee_reserve", where),
        State.valueOf(CashuJson.string(node, "state", where, 16)), CashuJson.amount(node, "expiry", where), ys,
        CashuJson.amount(node, "input_amount", where), CashuJson.amount(node, "input_fee", where),
        CashuJson.outputs(node, "blank_outputs", where), preimage, CashuJson.amount(node, "fee_paid", where), change);
  }

  private static byte[] scalar(JsonNode node, String name, String where) throws MintRefusal {
    byte[] bytes = CashuJson.hex(CashuJson.string(node, name, where, 64), 32);
    if (bytes == null) {
      throw CashuJson.malformed(where + " has a DLEQ " + name + " that is not 32 bytes of hex");
    }
    return bytes;
  }
}

package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the front end asks the replicated mint, as compact JSON {@code {"op": ..., ...}} with the
 * NUT wire shapes for proofs and blinded messages. Requests that change state go through the log
 * ({@link CashuMintApp#apply}); the read-only ones ({@link #isQuery}) are answered from committed
 * state ({@link CashuMintApp#query}). Decoding is strict and names the offending field; the app
 * re-checks every rule anyway, because anything may arrive in the log.
 */
public sealed interface MintRequest {
  /** Creates the first keyset and the mint's identity key, if not done yet. Answers like {@link Keys}. */
  record Setup() implements MintRequest {}

  /** NUT-03 swap. */
  record Swap(List<Proof> inputs, List<BlindedMessage> outputs) implements MintRequest {}

  /** Records a mint quote for {@code invoice}, which the front end's Lightning backend issued. */
  record CreateMintQuote(long amount, String invoice) implements MintRequest {}

  /** The front end's Lightning backend saw the quote's invoice paid. */
  record MarkMintQuotePaid(String quote) implements MintRequest {}

  /** NUT-04 mint: sign outputs worth the paid quote's amount. */
  record MintTokens(String quote, List<BlindedMessage> outputs) implements MintRequest {}

  /** Records a melt quote paying {@code invoice}, with the fee reserve the front end estimated. */
  record CreateMeltQuote(String invoice, long feeReserve) implements MintRequest {}

  /** NUT-05 melt, first half: lock the inputs as PENDING for the quote (with NUT-08 blank outputs). */
  record LockMelt(String quote, List<Proof> inputs, List<BlindedMessage> outputs) implements MintRequest {}

  /**
   * NUT-05 melt, second half: the payment's outcome. Paid spends the inputs; unpaid releases them,
   * for one of two reasons ({@link Unpaid}).
   */
  record SettleMelt(String quote, boolean paid, String preimage, long feePaid, Unpaid unpaid) implements MintRequest {
    static SettleMelt paid(String quote, String preimage, long feePaid) {
      return new SettleMelt(quote, true, preimage, feePaid, null);
    }

    static SettleMelt unpaid(String quote, Unpaid reason) {
      return new SettleMelt(quote, false, null, 0, reason);
    }
  }

  /** Why a member settles a melt as unpaid. */
  enum Unpaid {
    /** Its Lightning backend made the payment and saw it fail. Also what an entry without a reason means. */
    PAYMENT_FAILED("payment_failed"),
    /**
     * No backend knows the payment, and the invoice expired {@link MintParameters#UNKNOWN_PAYMENT_GRACE_SECONDS}
     * ago: the payer front end died before paying. Apply checks the expiry against the leader's time,
     * so one host's clock running ahead cannot release inputs another member may still be paying with.
     */
    UNKNOWN_AFTER_EXPIRY("unknown_after_expiry");

    final String wire;

    Unpaid(String wire) {
      this.wire = wire;
    }

    static Unpaid fromWire(String wire, String at) throws MintRefusal {
      for (Unpaid reason : values()) {
        if (reason.wire.equals(wire)) {
          return reason;
        }
      }
      throw CashuJson.malformed(at + ".reason must be payment_failed or unknown_after_expiry, not '"
          + CashuJson.clip(wire) + "'");
    }
  }

  /** Query: every keyset with its keys, and the mint's identity key. */
  record Keys() implements MintRequest {}

  /** Query: a mint quote. */
  record MintQuoteState(String quote) implements MintRequest {}

  /** Query: a melt quote. */
  record MeltQuoteState(String quote) implements MintRequest {}

  /** Query: NUT-07 state of proofs by Y. */
  record CheckState(List<byte[]> ys) implements MintRequest {}

  /** Query: the mint's books ({@link MintAccounting}). */
  record Accounting() implements MintRequest {}

  /** Quote ids are UUID v7, lowercase. */
  Pattern QUOTE_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  /** Payment preimages are 32 bytes of hex. */
  int PREIMAGE_CHARS = 64;

  /** Whether this is read-only (answered by a query, never committed). */
  default boolean isQuery() {
    return this instanceof Keys || this instanceof MintQuoteState || this instanceof MeltQuoteState
        || this instanceof CheckState || this instanceof Accounting;
  }

  /** The request's encoding (deterministic). */
  default byte[] encode() {
    ObjectNode node = CashuJson.object();
    if (this instanceof Setup) {
      node.put("op", "setup");
    } else if (this instanceof Swap r) {
      node.put("op", "swap");
      node.set("inputs", proofs(r.inputs()));
      node.set("outputs", outputs(r.outputs()));
    } else if (this instanceof CreateMintQuote r) {
      node.put("op", "mint_quote");
      node.put("amount", r.amount());
      node.put("request", r.invoice());
    } else if (this instanceof MarkMintQuotePaid r) {
      node.put("op", "mint_quote_paid");
      node.put("quote", r.quote());
    } else if (this instanceof MintTokens r) {
      node.put("op", "mint");
      node.put("quote", r.quote());
      node.set("outputs", outputs(r.outputs()));
    } else if (this instanceof CreateMeltQuote r) {
      node.put("op", "melt_quote");
      node.put("request", r.invoice());
      node.put("fee_reserve", r.feeReserve());
    } else if (this instanceof LockMelt r) {
      node.put("op", "melt");
      node.put("quote", r.quote());
      node.set("inputs", proofs(r.inputs()));
      node.set("outputs", outputs(r.outputs()));
    } else if (this instanceof SettleMelt r) {
      node.put("op", "melt_settle");
      node.put("quote", r.quote());
      node.put("paid", r.paid());
      if (!r.paid()) {
        node.put("reason", r.unpaid().wire);
      }
      if (r.paid()) {
        node.put("payment_preimage", r.preimage());
        node.put("fee_paid", r.feePaid());
      }
    } else if (this instanceof Keys) {
      node.put("op", "keys");
    } else if (this instanceof MintQuoteState r) {
      node.put("op", "mint_quote_state");
      node.put("quote", r.quote());
    } else if (this instanceof MeltQuoteState r) {
      node.put("op", "melt_quote_state");
      node.put("quote", r.quote());
    } else if (this instanceof CheckState r) {
      node.put("op", "checkstate");
      ArrayNode ys = node.putArray("Ys");
      r.ys().forEach(y -> ys.add(CashuJson.hex(y)));
    } else if (this instanceof Accounting) {
      node.put("op", "accounting");
    }
    return CashuJson.write(node);
  }

  /** Decodes a request; a malformed one is refused naming the field. */
  static MintRequest decode(byte[] bytes) throws MintRefusal {
    if (bytes != null && bytes.length > MintParameters.REQUEST_BYTES_MAX) {
      throw CashuJson.malformed("request is " + bytes.length + " bytes, over REQUEST_BYTES_MAX "
          + MintParameters.REQUEST_BYTES_MAX);
    }
    ObjectNode node = CashuJson.parseObject(bytes, "request");
    String op = CashuJson.string(node, "op", "request", 32);
    String at = "request";
    return switch (op) {
      case "setup" -> new Setup();
      case "swap" -> new Swap(CashuJson.proofs(node, "inputs", at), CashuJson.outputs(node, "outputs", at));
      case "mint_quote" -> new CreateMintQuote(CashuJson.amount(node, "amount", at),
          CashuJson.string(node, "request", at, MintParameters.INVOICE_CHARS_MAX));
      case "mint_quote_paid" -> new MarkMintQuotePaid(quoteId(node, at));
      case "mint" -> new MintTokens(quoteId(node, at), CashuJson.outputs(node, "outputs", at));
      case "melt_quote" -> new CreateMeltQuote(CashuJson.string(node, "request", at, MintParameters.INVOICE_CHARS_MAX),
          CashuJson.amount(node, "fee_reserve", at));
      case "melt" -> new LockMelt(quoteId(node, at), CashuJson.proofs(node, "inputs", at),
          CashuJson.absent(node, "outputs") ? List.of() : CashuJson.outputs(node, "outputs", at));
      case "melt_settle" -> settle(node, at);
      case "keys" -> new Keys();
      case "mint_quote_state" -> new MintQuoteState(quoteId(node, at));
      case "melt_quote_state" -> new MeltQuoteState(quoteId(node, at));
      case "checkstate" -> new CheckState(ys(node, at));
      case "accounting" -> new Accounting();
      default -> throw CashuJson.malformed("request.op '" + CashuJson.clip(op) + "' is not an operation of the mint");
    };
  }

  /** A quote id field: a UUID v7 in lowercase. */
  static String quoteId(JsonNode node, String where) throws MintRefusal {
    String id = CashuJson.string(node, "quote", where, 64);
    if (!QUOTE_ID.matcher(id).matches()) {
      throw CashuJson.malformed(where + ".quote is not a quote id of this mint (a lowercase UUID v7)");
    }
    return id;
  }

  /** NUT-07 Ys: compressed points in hex. */
  static List<byte[]> ys(JsonNode node, String where) throws MintRefusal {
    JsonNode array = CashuJson.array(node, "Ys", where, MintParameters.CHECK_STATE_YS_MAX, MintError.MALFORMED);
    List<byte[]> ys = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      JsonNode y = array.get(i);
      if (!y.isTextual()) {
        throw CashuJson.malformed(where + ".Ys[" + i + "] must be a hex string");
      }
      ys.add(CashuJson.pointHex(y.textValue(), where + ".Ys[" + i + "]"));
    }
    return ys;
  }

  private static SettleMelt settle(JsonNode node, String at) throws MintRefusal {
    String quote = quoteId(node, at);
    if (!CashuJson.bool(node, "paid", at)) {
      // An entry without a reason (written before reasons existed) replays as it was applied then.
      return SettleMelt.unpaid(quote, node.has("reason")
          ? Unpaid.fromWire(CashuJson.string(node, "reason", at, 32), at) : Unpaid.PAYMENT_FAILED);
    }
    String preimage = CashuJson.string(node, "payment_preimage", at, PREIMAGE_CHARS);
    if (CashuJson.hex(preimage, 32) == null) {
      throw CashuJson.malformed(at + ".payment_preimage must be 32 bytes of hex");
    }
    return SettleMelt.paid(quote, preimage.toLowerCase(java.util.Locale.ROOT), CashuJson.amount(node, "fee_paid", at));
  }

  private static ArrayNode proofs(List<Proof> proofs) {
    ArrayNode array = CashuJson.array();
    proofs.forEach(p -> array.add(CashuJson.proofJson(p)));
    return array;
  }

  private static ArrayNode outputs(List<BlindedMessage> outputs) {
    ArrayNode array = CashuJson.array();
    outputs.forEach(o -> array.add(CashuJson.outputJson(o)));
    return array;
  }
}

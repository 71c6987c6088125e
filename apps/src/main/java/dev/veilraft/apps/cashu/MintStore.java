package dev.veilraft.apps.cashu;

import dev.veilraft.crypto.Check;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.app.AppReader;
import dev.veilraft.state.app.AppState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The mint's records in its app namespace ({@code app/cashu}, encrypted at rest like all state).
 * Keys are an ASCII prefix followed by binary or ASCII identifiers:
 * <table>
 *   <caption>state layout</caption>
 *   <tr><td>{@code seed}</td><td>32-byte master seed of every keyset and the mint's identity key (secret)</td></tr>
 *   <tr><td>{@code identity}</td><td>the mint's NUT-06 public key, 33 bytes</td></tr>
 *   <tr><td>{@code keyset/<id>}</td><td>{@link Keyset} public record (JSON), one per keyset</td></tr>
 *   <tr><td>{@code y/<Y>}</td><td>proof state by Y = hash_to_curve(secret), 33 bytes: {@code 01} spent,
 *       {@code 02 ‖ quote id} pending in that melt; absent = unspent</td></tr>
 *   <tr><td>{@code b/<B_>}</td><td>blinded message, 33 bytes: {@code 01 ‖ signature} signed (u64 amount,
 *       u8 id length, id, C_, DLEQ e, s), {@code 02 ‖ quote id} reserved as a melt's blank output</td></tr>
 *   <tr><td>{@code mq/<quote id>}</td><td>{@link MintQuote} (JSON)</td></tr>
 *   <tr><td>{@code mh/<payment hash>}</td><td>the mint quote id of an invoice (one quote per invoice)</td></tr>
 *   <tr><td>{@code lq/<quote id>}</td><td>{@link MeltQuote} (JSON)</td></tr>
 *   <tr><td>{@code lh/<payment hash>}</td><td>the melt quote id paying (or that paid) an invoice</td></tr>
 *   <tr><td>{@code accounting}</td><td>{@link MintAccounting} (JSON)</td></tr>
 *   <tr><td>{@code qx/<u64 s><kind><quote id>}</td><td>empty: look at the mint ({@code m}) or melt ({@code l})
 *       quote after that time and forget it if it is still unpaid</td></tr>
 * </table>
 * A record that does not parse is local corruption: {@link StateException}, the replica halts.
 */
final class MintStore {
  private static final byte[] SEED = ascii("seed");
  private static final byte[] IDENTITY = ascii("identity");
  private static final byte[] KEYSET = ascii("keyset/");
  private static final byte[] KEYSET_END = ascii("keyset0");
  private static final byte[] PROOF = ascii("y/");
  private static final byte[] OUTPUT = ascii("b/");
  private static final byte[] MINT_QUOTE = ascii("mq/");
  private static final byte[] MINT_HASH = ascii("mh/");
  private static final byte[] MELT_QUOTE = ascii("lq/");
  private static final byte[] MELT_HASH = ascii("lh/");
  private static final byte[] ACCOUNTING = ascii("accounting");
  private static final byte[] QUOTE_EXPIRY = ascii("qx/");
  private static final byte[] QUOTE_EXPIRY_END = ascii("qx0");
  static final byte MINT_KIND = 'm';
  static final byte MELT_KIND = 'l';
  private static final byte SPENT = 1;
  private static final byte PENDING = 2;
  private static final byte SIGNED = 1;
  private static final byte RESERVED = 2;
  /** Keysets a mint may hold (one scan reads them all). */
  static final int KEYSETS_MAX = 64;

  /** The state of a proof or blinded message. */
  enum Mark { NONE, SPENT_OR_SIGNED, PENDING }

  private final AppReader reader;

  MintStore(AppReader reader) {
    this.reader = reader;
  }

  private AppState writer() {
    Check.invariant(reader instanceof AppState, "mint store opened read-only is written to");
    return (AppState) reader;
  }

  /** A copy of the seed, which the caller zeroes after use (the store's own bytes are never handed out). */
  Optional<byte[]> seed() throws StateException {
    return reader.get(SEED).map(byte[]::clone);
  }

  void putSeed(byte[] seed) {
    writer().put(SEED, seed.clone());
  }

  Optional<byte[]> identity() throws StateException {
    return reader.get(IDENTITY);
  }

  void putIdentity(byte[] publicKey) {
    writer().put(IDENTITY, publicKey);
  }

  /** Every keyset in id order. */
  List<Keyset> keysets() throws StateException {
    List<Keyset> keysets = new ArrayList<>();
    for (StateRecord record : reader.scan(KEYSET, KEYSET_END, KEYSETS_MAX)) {
      keysets.add(parse(record.value(), "keyset", Keyset::fromRecord));
    }
    return keysets;
  }

  Optional<Keyset> keyset(String id) throws StateException {
    Optional<byte[]> value = reader.get(concat(KEYSET, ascii(id)));
    return value.isEmpty() ? Optional.empty() : Optional.of(parse(value.get(), "keyset", Keyset::fromRecord));
  }

  void putKeyset(Keyset keyset) {
    writer().put(concat(KEYSET, ascii(keyset.id())), CashuJson.write(keyset.toRecord()));
  }

  Mark proofMark(byte[] y) throws StateException {
    return mark(reader.get(concat(PROOF, y)));
  }

  void markSpent(byte[] y) {
    writer().put(concat(PROOF, y), new byte[] {SPENT});
  }

  void markPending(byte[] y, String quoteId) {
    writer().put(concat(PROOF, y), concat(new byte[] {PENDING}, ascii(quoteId)));
  }

  void unmarkProof(byte[] y) {
    writer().delete(concat(PROOF, y));
  }

  Mark outputMark(byte[] blinded) throws StateException {
    return mark(reader.get(concat(OUTPUT, blinded)));
  }

  void recordSignature(byte[] blinded, BlindSignature signature) {
    byte[] id = ascii(signature.keysetId());
    ByteBuffer value = ByteBuffer.allocate(1 + Long.BYTES + 1 + id.length + 33 + 32 + 32).put(SIGNED)
        .putLong(signature.amount()).put((byte) id.length).put(id).put(signature.c()).put(signature.dleqE())
        .put(signature.dleqS());
    writer().put(concat(OUTPUT, blinded), value.array());
  }

  void reserveOutput(byte[] blinded, String quoteId) {
    writer().put(concat(OUTPUT, blinded), concat(new byte[] {RESERVED}, ascii(quoteId)));
  }

  void releaseOutput(byte[] blinded) {
    writer().delete(concat(OUTPUT, blinded));
  }

  Optional<MintQuote> mintQuote(String id) throws StateException {
    Optional<byte[]> value = reader.get(concat(MINT_QUOTE, ascii(id)));
    return value.isEmpty() ? Optional.empty() : Optional.of(parse(value.get(), "mint quote", MintQuote::fromRecord));
  }

  void putMintQuote(MintQuote quote) {
    writer().put(concat(MINT_QUOTE, ascii(quote.id())), CashuJson.write(quote.toRecord()));
  }

  boolean mintInvoiceKnown(byte[] paymentHash) throws StateException {
    return reader.get(concat(MINT_HASH, paymentHash)).isPresent();
  }

  void putMintInvoice(byte[] paymentHash, String quoteId) {
    writer().put(concat(MINT_HASH, paymentHash), ascii(quoteId));
  }

  Optional<MeltQuote> meltQuote(String id) throws StateException {
    Optional<byte[]> value = reader.get(concat(MELT_QUOTE, ascii(id)));
    return value.isEmpty() ? Optional.empty() : Optional.of(parse(value.get(), "melt quote", MeltQuote::fromRecord));
  }

  void putMeltQuote(MeltQuote quote) {
    writer().put(concat(MELT_QUOTE, ascii(quote.id())), CashuJson.write(quote.toRecord()));
  }

  /** The melt quote paying (or that paid) an invoice. */
  Optional<String> meltOfInvoice(byte[] paymentHash) throws StateException {
    return reader.get(concat(MELT_HASH, paymentHash)).map(v -> new String(v, StandardCharsets.US_ASCII));
  }

  void putMeltOfInvoice(byte[] paymentHash, String quoteId) {
    writer().put(concat(MELT_HASH, paymentHash), ascii(quoteId));
  }

  void deleteMeltOfInvoice(byte[] paymentHash) {
    writer().delete(concat(MELT_HASH, paymentHash));
  }

  /** A quote to look at once {@code forgetAfterSeconds} has passed: forgotten then if still unpaid. */
  record QuoteExpiry(byte[] key, long forgetAfterSeconds, byte kind, String quoteId) {}

  void putQuoteExpiry(long forgetAfterSeconds, byte kind, String quoteId) {
    writer().put(quoteExpiryKey(forgetAfterSeconds, kind, quoteId), new byte[0]);
  }

  /** Quote expiry entries due by {@code nowSeconds}, earliest first, at most {@code limit}. */
  List<QuoteExpiry> dueQuoteExpiries(long nowSeconds, int limit) throws StateException {
    byte[] end = concat(QUOTE_EXPIRY, ByteBuffer.allocate(Long.BYTES).putLong(nowSeconds + 1).array());
    List<QuoteExpiry> due = new ArrayList<>();
    for (StateRecord record : reader.scan(QUOTE_EXPIRY, end, limit)) {
      ByteBuffer key = ByteBuffer.wrap(record.key(), QUOTE_EXPIRY.length, record.key().length - QUOTE_EXPIRY.length);
      long at = key.getLong();
      byte kind = key.get();
      byte[] id = new byte[key.remaining()];
      key.get(id);
      due.add(new QuoteExpiry(record.key(), at, kind, new String(id, StandardCharsets.US_ASCII)));
    }
    return due;
  }

  void deleteQuoteExpiry(QuoteExpiry expiry) {
    writer().delete(expiry.key());
  }

  void deleteMintQuote(MintQuote quote) {
    writer().delete(concat(MINT_QUOTE, ascii(quote.id())));
    writer().delete(concat(MINT_HASH, quote.paymentHash()));
  }

  void deleteMeltQuote(MeltQuote quote) {
    writer().delete(concat(MELT_QUOTE, ascii(quote.id())));
  }

  /** {@code qx/ ‖ u64 forget-after seconds ‖ kind ‖ quote id}: due entries come first in a scan. */
  private static byte[] quoteExpiryKey(long forgetAfterSeconds, byte kind, String quoteId) {
    byte[] id = ascii(quoteId);
    return ByteBuffer.allocate(QUOTE_EXPIRY.length + Long.BYTES + 1 + id.length).put(QUOTE_EXPIRY)
        .putLong(forgetAfterSeconds).put(kind).put(id).array();
  }

  MintAccounting accounting() throws StateException {
    Optional<byte[]> value = reader.get(ACCOUNTING);
    return value.isEmpty() ? MintAccounting.ZERO : parse(value.get(), "accounting", MintAccounting::fromJson);
  }

  void putAccounting(MintAccounting accounting) {
    writer().put(ACCOUNTING, CashuJson.write(accounting.toJson()));
  }

  private static Mark mark(Optional<byte[]> value) throws StateException {
    if (value.isEmpty()) {
      return Mark.NONE;
    }
    byte[] v = value.get();
    if (v.length == 0 || (v[0] != SPENT && v[0] != PENDING)) {
      throw new StateException("cashu proof or output record has an unknown mark (state corrupted)");
    }
    return v[0] == SPENT ? Mark.SPENT_OR_SIGNED : Mark.PENDING;
  }

  private interface Parser<T> {
    T parse(com.fasterxml.jackson.databind.JsonNode node) throws MintRefusal;
  }

  private static <T> T parse(byte[] value, String what, Parser<T> parser) throws StateException {
    try {
      return parser.parse(CashuJson.parseObject(value, what));
    } catch (MintRefusal | RuntimeException e) {
      throw new StateException("cashu " + what + " record does not parse (state corrupted): " + e.getMessage(), e);
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}

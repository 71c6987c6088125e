package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.secp256k1.Bolt11;
import dev.veilraft.crypto.secp256k1.CashuBdhke;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import dev.veilraft.state.StateException;
import dev.veilraft.state.app.AppContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The apply side of the mint: keyset setup, swap, mint quotes and minting, and the stateful
 * checks every value-moving request shares (spent set, signed outputs, signatures). Every method
 * checks everything before it writes, so a refusal leaves the state as it was (the host discards
 * a refused request's writes as well). Deterministic: it uses only the request, the state and the
 * {@link AppContext}.
 */
final class MintLedger {
  static final String IDENTITY_LABEL = "cashu/mint-identity";

  final MintStore store;
  final AppContext context;

  MintLedger(MintStore store, AppContext context) {
    this.store = store;
    this.context = context;
  }

  /** Creates the first keyset and the identity key from a fresh group seed, once. */
  void setup() throws StateException {
    if (store.seed().isPresent()) {
      return;
    }
    byte[] seed = context.random().nextBytes(32);
    try {
      store.putSeed(seed);
      store.putKeyset(Keyset.derive(seed, 0));
      byte[] identity = Secp256k1.deriveScalar(seed, IDENTITY_LABEL, new byte[0]);
      try {
        store.putIdentity(Secp256k1.publicKey(identity));
      } finally {
        Arrays.fill(identity, (byte) 0);
      }
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  Map<String, Keyset> keysets() throws StateException {
    Map<String, Keyset> byId = new LinkedHashMap<>();
    for (Keyset keyset : store.keysets()) {
      byId.put(keyset.id(), keyset);
    }
    return byId;
  }

  /** NUT-03: spend the inputs, sign the outputs. */
  ObjectNode swap(MintRequest.Swap request) throws MintRefusal, StateException {
    Map<String, Keyset> keysets = keysets();
    TransactionRules.checkInputs(request.inputs(), keysets);
    TransactionRules.checkOutputs(request.outputs(), keysets, false);
    TransactionRules.checkSwapBalance(request.inputs(), request.outputs());
    List<byte[]> ys = checkSpendable(request.inputs());
    checkOutputsFree(request.outputs());
    MintSigner signer = signer();
    try {
      verifyProofs(signer, keysets, request.inputs());
      ys.forEach(store::markSpent);
      List<BlindSignature> signatures = signAll(signer, keysets, request.outputs());
      long in = TransactionRules.inputTotal(request.inputs());
      store.putAccounting(store.accounting().swapped(in, TransactionRules.outputTotal(request.outputs())));
      ObjectNode response = CashuJson.object();
      response.set("signatures", CashuJson.signaturesJson(signatures));
      return response;
    } finally {
      signer.close();
    }
  }

  /** Records a mint quote for an invoice the front end's Lightning backend issued. */
  ObjectNode createMintQuote(MintRequest.CreateMintQuote request) throws MintRefusal, StateException {
    long amount = request.amount();
    if (amount < MintParameters.MINT_AMOUNT_MIN || amount > MintParameters.MINT_AMOUNT_MAX) {
      throw new MintRefusal(MintError.AMOUNT_OUT_OF_RANGE, "mint amount " + amount + " is outside "
          + MintParameters.MINT_AMOUNT_MIN + ".." + MintParameters.MINT_AMOUNT_MAX);
    }
    Bolt11.Invoice invoice = decodeInvoice(request.invoice());
    if (invoice.amountMsat() == null || invoice.amountMsat() != amount * 1000) {
      throw CashuJson.malformed("the invoice is for " + invoice.amountMsat() + " msat, the quote for " + amount + " sat");
    }
    if (invoice.expirySeconds() > MintParameters.MINT_INVOICE_EXPIRY_SECONDS_MAX) {
      throw CashuJson.malformed("the invoice expires after " + invoice.expirySeconds() + " s, over "
          + MintParameters.MINT_INVOICE_EXPIRY_SECONDS_MAX);
    }
    if (store.mintInvoiceKnown(invoice.paymentHash())) {
      throw CashuJson.malformed("the invoice already belongs to a mint quote");
    }
    long expiry = invoiceExpiry(invoice);
    if (expired(expiry)) {
      throw new MintRefusal(MintError.QUOTE_EXPIRED, "the invoice expired at " + expiry + " (leader time "
          + context.leaderTimeMs() / 1000 + ")");
    }
    MintQuote quote = new MintQuote(newQuoteId(), request.invoice(), invoice.paymentHash(), amount,
        MintQuote.State.UNPAID, expiry);
    pruneExpiredQuotes();
    store.putMintQuote(quote);
    store.putMintInvoice(invoice.paymentHash(), quote.id());
    store.putQuoteExpiry(expiry + MintParameters.QUOTE_RETENTION_SECONDS, MintStore.MINT_KIND, quote.id());
    return quote.toJson();
  }

  /**
   * Forgets a few quotes that expired unpaid more than {@link MintParameters#QUOTE_RETENTION_SECONDS}
   * ago (bounded per entry), so abandoned quotes do not pile up in state. Quotes that were paid,
   * issued or are pending stay; only their expiry entry goes.
   */
  void pruneExpiredQuotes() throws StateException {
    long now = Math.floorDiv(context.leaderTimeMs(), 1000L);
    for (MintStore.QuoteExpiry due : store.dueQuoteExpiries(now, MintParameters.QUOTES_PRUNED_PER_ENTRY_MAX)) {
      store.deleteQuoteExpiry(due);
      if (due.kind() == MintStore.MINT_KIND) {
        store.mintQuote(due.quoteId()).filter(q -> q.state() == MintQuote.State.UNPAID).ifPresent(store::deleteMintQuote);
      } else {
        store.meltQuote(due.quoteId()).filter(q -> q.state() == MeltQuote.State.UNPAID).ifPresent(store::deleteMeltQuote);
      }
    }
  }

  /** The front end saw the quote's invoice paid: UNPAID becomes PAID; a paid or issued quote is unchanged. */
  ObjectNode markMintQuotePaid(MintRequest.MarkMintQuotePaid request) throws MintRefusal, StateException {
    MintQuote quote = mintQuote(request.quote());
    if (quote.state() != MintQuote.State.UNPAID) {
      return quote.toJson();
    }
    MintQuote paid = quote.withState(MintQuote.State.PAID);
    store.putMintQuote(paid);
    store.putAccounting(store.accounting().quotePaid(quote.amount()));
    return paid.toJson();
  }

  /** NUT-04: sign outputs worth exactly a paid quote's amount, once. */
  ObjectNode mint(MintRequest.MintTokens request) throws MintRefusal, StateException {
    MintQuote quote = mintQuote(request.quote());
    switch (quote.state()) {
      case ISSUED -> throw new MintRefusal(MintError.QUOTE_ISSUED, "the quote's ecash was issued already");
      case UNPAID -> throw expired(quote.expiry())
          ? new MintRefusal(MintError.QUOTE_EXPIRED, "the quote expired unpaid at " + quote.expiry())
          : new MintRefusal(MintError.QUOTE_NOT_PAID, "the quote's invoice is not paid yet");
      case PAID -> { }
    }
    Map<String, Keyset> keysets = keysets();
    if (request.outputs().isEmpty()) {
      throw CashuJson.malformed("outputs are empty");
    }
    TransactionRules.checkOutputs(request.outputs(), keysets, false);
    long out = TransactionRules.outputTotal(request.outputs());
    if (out != quote.amount()) {
      throw new MintRefusal(MintError.UNBALANCED, "outputs are " + out + ", the quote is for " + quote.amount());
    }
    checkOutputsFree(request.outputs());
    MintSigner signer = signer();
    try {
      List<BlindSignature> signatures = signAll(signer, keysets, request.outputs());
      store.putMintQuote(quote.withState(MintQuote.State.ISSUED));
      store.putAccounting(store.accounting().issued(quote.amount()));
      ObjectNode response = CashuJson.object();
      response.set("signatures", CashuJson.signaturesJson(signatures));
      return response;
    } finally {
      signer.close();
    }
  }

  MintQuote mintQuote(String id) throws MintRefusal, StateException {
    return store.mintQuote(id).orElseThrow(() -> new MintRefusal(MintError.QUOTE_NOT_FOUND,
        "no mint quote with this id"));
  }

  /** Ys of inputs that are neither spent nor pending; refuses otherwise. */
  List<byte[]> checkSpendable(List<Proof> inputs) throws MintRefusal, StateException {
    List<byte[]> ys = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      byte[] y = CashuBdhke.hashToCurve(TransactionRules.utf8(inputs.get(i).secret()));
      switch (store.proofMark(y)) {
        case SPENT_OR_SIGNED -> throw new MintRefusal(MintError.PROOFS_SPENT, "inputs[" + i + "] is already spent");
        case PENDING -> throw new MintRefusal(MintError.PROOFS_PENDING, "inputs[" + i + "] is pending in a melt");
        case NONE -> ys.add(y);
      }
    }
    return ys;
  }

  /** Refuses outputs whose B_ was signed before or is reserved by a melt in flight. */
  void checkOutputsFree(List<BlindedMessage> outputs) throws MintRefusal, StateException {
    for (int i = 0; i < outputs.size(); i++) {
      switch (store.outputMark(outputs.get(i).blinded())) {
        case SPENT_OR_SIGNED -> throw new MintRefusal(MintError.OUTPUTS_SIGNED, "outputs[" + i + "] was signed before");
        case PENDING -> throw new MintRefusal(MintError.OUTPUTS_PENDING, "outputs[" + i + "] is reserved by a melt in flight");
        case NONE -> { }
      }
    }
  }

  void verifyProofs(MintSigner signer, Map<String, Keyset> keysets, List<Proof> inputs) throws MintRefusal {
    for (int i = 0; i < inputs.size(); i++) {
      Proof proof = inputs.get(i);
      if (!signer.verify(keysets.get(proof.keysetId()), proof)) {
        throw new MintRefusal(MintError.PROOF_VERIFICATION_FAILED, "inputs[" + i + "] has no valid signature of "
            + "keyset " + proof.keysetId() + " for amount " + proof.amount());
      }
    }
  }

  List<BlindSignature> signAll(MintSigner signer, Map<String, Keyset> keysets, List<BlindedMessage> outputs) {
    List<BlindSignature> signatures = new ArrayList<>(outputs.size());
    for (BlindedMessage output : outputs) {
      BlindSignature signature = signer.sign(keysets.get(output.keysetId()), output.blinded(), output.amount());
      store.recordSignature(output.blinded(), signature);
      signatures.add(signature);
    }
    return signatures;
  }

  MintSigner signer() throws MintRefusal, StateException {
    byte[] seed = store.seed().orElseThrow(() -> new MintRefusal(MintError.KEYSET_UNKNOWN,
        "the mint has no keyset yet; fetch /v1/keys first"));
    try {
      return new MintSigner(seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  static Bolt11.Invoice decodeInvoice(String invoice) throws MintRefusal {
    try {
      return Bolt11.decode(invoice);
    } catch (RuntimeException e) {
      throw CashuJson.malformed("request is not a valid BOLT 11 invoice: " + CashuJson.clip(String.valueOf(e.getMessage())));
    }
  }

  static long invoiceExpiry(Bolt11.Invoice invoice) {
    return Math.addExact(invoice.timestampSeconds(), invoice.expirySeconds());
  }

  /** Whether a Unix-seconds expiry has passed by the entry's leader time. */
  boolean expired(long expirySeconds) {
    // leaderTimeMs >= expiry * 1000, without the overflow an invoice's far expiry could cause.
    return Math.floorDiv(context.leaderTimeMs(), 1000L) >= expirySeconds;
  }

  /**
   * A UUID v7 (NUT-04/05): the leader time in milliseconds, then 74 bits from the entry's
   * deterministic random, unpredictable outside the group and the same on every replica.
   */
  String newQuoteId() {
    long random1 = context.random().nextLong();
    long random2 = context.random().nextLong();
    long msb = ((context.leaderTimeMs() & 0xFFFF_FFFF_FFFFL) << 16) | 0x7000L | (random1 & 0x0FFFL);
    long lsb = (random2 & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb).toString();
  }
}

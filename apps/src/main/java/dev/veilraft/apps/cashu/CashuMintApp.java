package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.state.StateException;
import dev.veilraft.state.app.App;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppException;
import dev.veilraft.state.app.AppReader;
import dev.veilraft.state.app.AppState;

/**
 * The Cashu ecash mint as a replicated app ({@value #NAME}). Every member's TEE runs it on the
 * same committed requests ({@link MintRequest}) and writes the same encrypted state (layout in
 * {@link MintStore}): the keysets' seed, the spent set, signed outputs, quotes and the books.
 * Keys are made inside the group from the entry's deterministic random; no private key leaves
 * the state. Lightning never runs here: the front end ({@link CashuHttpApi}) does the I/O and
 * commits what it learned (a quote's invoice, "paid", a melt's outcome).
 *
 * <p>A refusal is an {@link AppException} whose message is {@code "[code] detail"} with a Cashu
 * error code ({@link MintRefusal#toAppMessage}); it changes nothing. Responses are the NUT
 * response JSON itself, byte-identical on every replica.
 */
public final class CashuMintApp implements App {
  public static final String NAME = "cashu";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte[] apply(AppContext context, AppState state, byte[] request) throws AppException, StateException {
    try {
      MintRequest decoded = MintRequest.decode(request);
      if (decoded.isQuery()) {
        throw CashuJson.malformed("'" + decoded.getClass().getSimpleName() + "' is a query; send it as one");
      }
      if (!context.fromMember() && vouchesForLightning(decoded)) {
        throw new MintRefusal(MintError.MALFORMED, "'" + decoded.getClass().getSimpleName() + "' states what a "
            + "member's Lightning backend saw; only a member's own front end may send it");
      }
      MintLedger ledger = new MintLedger(new MintStore(state), context);
      ObjectNode response = applyDecoded(ledger, decoded);
      return CashuJson.write(response);
    } catch (MintRefusal refusal) {
      throw new AppException(refusal.toAppMessage());
    }
  }

  /**
   * Requests that carry a member front end's word about Lightning (an invoice it issued, a payment
   * it saw or made): anyone can seal a request to the group, so these are accepted only when a
   * member tagged them (AppContext.fromMember).
   */
  static boolean vouchesForLightning(MintRequest request) {
    return request instanceof MintRequest.CreateMintQuote || request instanceof MintRequest.MarkMintQuotePaid
        || request instanceof MintRequest.CreateMeltQuote || request instanceof MintRequest.SettleMelt;
  }

  private static ObjectNode applyDecoded(MintLedger ledger, MintRequest request) throws MintRefusal, StateException {
    if (request instanceof MintRequest.Setup) {
      ledger.setup();
      return keys(ledger.store);
    }
    if (request instanceof MintRequest.Swap swap) {
      return ledger.swap(swap);
    }
    if (request instanceof MintRequest.CreateMintQuote create) {
      return ledger.createMintQuote(create);
    }
    if (request instanceof MintRequest.MarkMintQuotePaid paid) {
      return ledger.markMintQuotePaid(paid);
    }
    if (request instanceof MintRequest.MintTokens mint) {
      return ledger.mint(mint);
    }
    MeltLedger melts = new MeltLedger(ledger);
    if (request instanceof MintRequest.CreateMeltQuote create) {
      return melts.createQuote(create);
    }
    if (request instanceof MintRequest.LockMelt lock) {
      return melts.lock(lock);
    }
    if (request instanceof MintRequest.SettleMelt settle) {
      return melts.settle(settle);
    }
    throw CashuJson.malformed("operation " + request.getClass().getSimpleName() + " cannot be applied");
  }

  @Override
  public byte[] query(AppReader state, byte[] request) throws AppException, StateException {
    try {
      MintRequest decoded = MintRequest.decode(request);
      MintStore store = new MintStore(state);
      ObjectNode response;
      if (decoded instanceof MintRequest.Keys) {
        response = keys(store);
      } else if (decoded instanceof MintRequest.MintQuoteState q) {
        response = store.mintQuote(q.quote()).orElseThrow(() -> new MintRefusal(MintError.QUOTE_NOT_FOUND,
            "no mint quote with this id")).toJson();
      } else if (decoded instanceof MintRequest.MeltQuoteState q) {
        response = store.meltQuote(q.quote()).orElseThrow(() -> new MintRefusal(MintError.QUOTE_NOT_FOUND,
            "no melt quote with this id")).toJson();
      } else if (decoded instanceof MintRequest.CheckState check) {
        response = checkState(store, check);
      } else if (decoded instanceof MintRequest.Accounting) {
        response = store.accounting().toJson();
      } else {
        throw CashuJson.malformed("'" + decoded.getClass().getSimpleName() + "' changes state; send it as a request");
      }
      return CashuJson.write(response);
    } catch (MintRefusal refusal) {
      throw new AppException(refusal.toAppMessage());
    }
  }

  /** Every keyset with keys (NUT-01 shape) and the mint's identity key; empty before setup. */
  private static ObjectNode keys(MintStore store) throws StateException {
    ObjectNode response = CashuJson.object();
    ArrayNode keysets = response.putArray("keysets");
    for (Keyset keyset : store.keysets()) {
      keysets.add(keyset.toJson(true));
    }
    byte[] identity = store.identity().orElse(null);
    if (identity == null) {
      response.putNull("pubkey");
    } else {
      response.put("pubkey", CashuJson.hex(identity));
    }
    return response;
  }

  /** NUT-07: each Y's state in request order; a proof never seen is UNSPENT. */
  private static ObjectNode checkState(MintStore store, MintRequest.CheckState check) throws StateException {
    ObjectNode response = CashuJson.object();
    ArrayNode states = response.putArray("states");
    for (byte[] y : check.ys()) {
      ObjectNode state = states.addObject();
      state.put("Y", CashuJson.hex(y));
      state.put("state", switch (store.proofMark(y)) {
        case NONE -> "UNSPENT";
        case PENDING -> "PENDING";
        case SPENT_OR_SIGNED -> "SPENT";
      });
      state.putNull("witness");
    }
    return response;
  }
}

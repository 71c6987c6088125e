package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.apps.AppGateway;
import dev.veilraft.apps.AppRejectedException;
import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.crypto.secp256k1.Bolt11;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public Cashu HTTP protocol (NUT-01..07, 08, 12, 23) of a mint whose state is replicated:
 * transport-independent, one call per HTTP request, paths relative to the mint URL (the node
 * mounts it at {@code /cashu}, so wallets use {@code https://node:port/cashu}). It validates
 * each request before anything is committed (malformed JSON, wrong types, out-of-range numbers,
 * invalid points, unknown keysets, too many inputs: answered at once with the NUT error code),
 * does the Lightning I/O through its {@link LightningBackend}, and commits through the
 * {@link AppGateway}; the replicated {@link CashuMintApp} re-checks everything and is the
 * authority. Errors are HTTP 400 {@code {"detail": ..., "code": N}} (NUT-00); an unreachable
 * cluster or Lightning node is 503. Thread-safe; never logs request contents or quote ids.
 */
public final class CashuHttpApi {
  private static final Logger log = LoggerFactory.getLogger(CashuHttpApi.class);
  /** Largest request body accepted. */
  public static final int BODY_BYTES_MAX = CashuJson.DOCUMENT_BYTES_MAX;
  private static final String MINT_QUOTE_PREFIX = "/v1/mint/quote/" + MintParameters.METHOD + "/";
  private static final String MELT_QUOTE_PREFIX = "/v1/melt/quote/" + MintParameters.METHOD + "/";
  private static final String KEYS_PREFIX = "/v1/keys/";

  private final MintClient mint;
  private final LightningBackend lightning;
  private final CashuMintSettings settings;
  private final MeltFlow melts;

  public CashuHttpApi(AppGateway gateway, LightningBackend lightning, CashuMintSettings settings) {
    this.mint = new MintClient(gateway);
    this.lightning = lightning;
    this.settings = settings;
    this.melts = new MeltFlow(mint, lightning, settings.clock());
  }

  /**
   * Answers one request. {@code path} is relative to the mint URL ({@code /v1/keys}); the query
   * string is not used by any Cashu endpoint. Never completes exceptionally.
   */
  public CompletableFuture<HttpAnswer> handle(String method, String path, String query, byte[] body) {
    CompletableFuture<HttpAnswer> answer;
    try {
      String verb = method == null ? "" : method.toUpperCase(Locale.ROOT);
      String route = path == null ? "" : (path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1)
          : path);
      answer = route(verb, route, body == null ? new byte[0] : body);
    } catch (MintRefusal refusal) {
      answer = CompletableFuture.completedFuture(refused(refusal));
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.exceptionally(CashuHttpApi::failure);
  }

  private CompletableFuture<HttpAnswer> route(String verb, String path, byte[] body) throws MintRefusal {
    switch (path) {
      case "/v1/info" -> {
        return get(verb, () -> info());
      }
      case "/v1/keys" -> {
        return get(verb, () -> keys());
      }
      case "/v1/keysets" -> {
        return get(verb, () -> keysets());
      }
      case "/v1/swap" -> {
        return post(verb, body, this::swap);
      }
      case "/v1/mint/quote/" + MintParameters.METHOD -> {
        return post(verb, body, this::createMintQuote);
      }
      case "/v1/mint/" + MintParameters.METHOD -> {
        return post(verb, body, this::mint);
      }
      case "/v1/melt/quote/" + MintParameters.METHOD -> {
        return post(verb, body, melts::createQuote);
      }
      case "/v1/melt/" + MintParameters.METHOD -> {
        return post(verb, body, melts::melt);
      }
      case "/v1/checkstate" -> {
        return post(verb, body, this::checkState);
      }
      default -> { }
    }
    if (path.startsWith(KEYS_PREFIX)) {
      String id = path.substring(KEYS_PREFIX.length());
      return get(verb, () -> keyset(id));
    }
    if (path.startsWith(MINT_QUOTE_PREFIX)) {
      String id = quoteIdFromPath(path.substring(MINT_QUOTE_PREFIX.length()));
      return get(verb, () -> mint.query(new MintRequest.MintQuoteState(id)).thenCompose(this::refreshMintQuote)
          .thenApply(CashuHttpApi::ok));
    }
    if (path.startsWith(MELT_QUOTE_PREFIX)) {
      String id = quoteIdFromPath(path.substring(MELT_QUOTE_PREFIX.length()));
      return get(verb, () -> melts.state(id).thenApply(CashuHttpApi::ok));
    }
    return CompletableFuture.completedFuture(plain(404, "no Cashu endpoint at " + CashuJson.clip(path)));
  }

  private interface Handler {
    CompletableFuture<HttpAnswer> handle() throws MintRefusal;
  }

  private interface BodyHandler {
    CompletableFuture<HttpAnswer> handle(ObjectNode body) throws MintRefusal;
  }

  private static CompletableFuture<HttpAnswer> get(String verb, Handler handler) throws MintRefusal {
    return "GET".equals(verb) ? handler.handle() : CompletableFuture.completedFuture(plain(405, "use GET"));
  }

  private static CompletableFuture<HttpAnswer> post(String verb, byte[] body, BodyHandler handler) throws MintRefusal {
    if (!"POST".equals(verb)) {
      return CompletableFuture.completedFuture(plain(405, "use POST"));
    }
    if (body.length > BODY_BYTES_MAX) {
      throw CashuJson.malformed("request body is " + body.length + " bytes, over " + BODY_BYTES_MAX);
    }
    return handler.handle(CashuJson.parseObject(body, "request"));
  }

  private CompletableFuture<HttpAnswer> info() {
    return mint.keys(false).thenApply(view -> ok(MintInfoDocument.build(settings, view.pubkey(),
        lightning.supportsDescription())));
  }

  /** NUT-01: the active keysets with their keys. */
  private CompletableFuture<HttpAnswer> keys() {
    return mint.keys(true).thenApply(view -> {
      ObjectNode answer = CashuJson.object();
      ArrayNode keysets = answer.putArray("keysets");
      view.byId().values().stream().filter(Keyset::active).forEach(k -> keysets.add(k.toJson(true)));
      return ok(answer);
    });
  }

  /** NUT-02: every keyset without keys. */
  private CompletableFuture<HttpAnswer> keysets() {
    return mint.keys(true).thenApply(view -> {
      ObjectNode answer = CashuJson.object();
      ArrayNode keysets = answer.putArray("keysets");
      view.byId().values().forEach(k -> keysets.add(k.toJson(false)));
      return ok(answer);
    });
  }

  /** NUT-02: one keyset (active or not) with its keys. */
  private CompletableFuture<HttpAnswer> keyset(String id) {
    return mint.keys(false).thenCompose(view -> view.byId().containsKey(id) ? CompletableFuture.completedFuture(view)
        : mint.keys(true)).thenApply(view -> {
          Keyset keyset = view.byId().get(id);
          if (keyset == null) {
            return refused(new MintRefusal(MintError.KEYSET_UNKNOWN, "keyset " + CashuJson.clip(id)
                + " is not a keyset of this mint"));
          }
          ObjectNode answer = CashuJson.object();
          answer.putArray("keysets").add(keyset.toJson(true));
          return ok(answer);
        });
  }

  /** NUT-03. */
  private CompletableFuture<HttpAnswer> swap(ObjectNode body) throws MintRefusal {
    List<Proof> inputs = CashuJson.proofs(body, "inputs", "request");
    List<BlindedMessage> outputs = CashuJson.outputs(body, "outputs", "request");
    MintRequest.Swap request = new MintRequest.Swap(inputs, outputs);
    checkSize(request);
    return checkedWithKeys(keysets -> {
      TransactionRules.checkInputs(inputs, keysets);
      TransactionRules.checkOutputs(outputs, keysets, false);
      TransactionRules.checkSwapBalance(inputs, outputs);
    }).thenCompose(ignored -> mint.submit(request)).thenApply(CashuHttpApi::ok);
  }

  /** NUT-04/23: an invoice from the Lightning backend, recorded as a quote in the group. */
  private CompletableFuture<HttpAnswer> createMintQuote(ObjectNode body) throws MintRefusal {
    requireSat(body);
    long amount = CashuJson.amount(body, "amount", "request");
    if (amount < MintParameters.MINT_AMOUNT_MIN || amount > MintParameters.MINT_AMOUNT_MAX) {
      throw new MintRefusal(MintError.AMOUNT_OUT_OF_RANGE, "mint amount " + amount + " is outside "
          + MintParameters.MINT_AMOUNT_MIN + ".." + MintParameters.MINT_AMOUNT_MAX);
    }
    String description = CashuJson.absent(body, "description") ? ""
        : CashuJson.string(body, "description", "request", MintParameters.DESCRIPTION_BYTES_MAX);
    if (!CashuJson.absent(body, "pubkey")) {
      throw CashuJson.malformed("request.pubkey asks for a NUT-20 locked quote; this mint does not support NUT-20");
    }
    return lightning.createInvoice(amount, description, MintParameters.MINT_QUOTE_EXPIRY_SECONDS).copy()
        .orTimeout(LightningBackend.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .thenCompose(invoice -> mint.submit(new MintRequest.CreateMintQuote(amount, invoice.bolt11())))
        .thenApply(CashuHttpApi::ok);
  }

  /** NUT-04: mint against a paid quote (asking Lightning first if the group does not know it is paid). */
  private CompletableFuture<HttpAnswer> mint(ObjectNode body) throws MintRefusal {
    String quote = MintRequest.quoteId(body, "request");
    List<BlindedMessage> outputs = CashuJson.outputs(body, "outputs", "request");
    if (outputs.isEmpty()) {
      throw CashuJson.malformed("request.outputs is empty");
    }
    MintRequest.MintTokens request = new MintRequest.MintTokens(quote, outputs);
    checkSize(request);
    return checkedWithKeys(keysets -> TransactionRules.checkOutputs(outputs, keysets, false))
        .thenCompose(ignored -> mint.query(new MintRequest.MintQuoteState(quote)))
        .thenCompose(this::refreshMintQuote)
        .thenCompose(state -> mint.submit(request)).thenApply(CashuHttpApi::ok);
  }

  /** An unpaid quote whose invoice the backend reports paid is committed as paid; otherwise unchanged. */
  private CompletableFuture<ObjectNode> refreshMintQuote(ObjectNode quote) {
    if (!"UNPAID".equals(quote.path("state").asText())) {
      return CompletableFuture.completedFuture(quote);
    }
    String bolt11 = quote.path("request").asText();
    byte[] paymentHash;
    try {
      paymentHash = Bolt11.decode(bolt11).paymentHash();
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(quote);
    }
    String id = quote.path("quote").asText();
    return lightning.isInvoicePaid(bolt11, paymentHash).copy()
        .orTimeout(LightningBackend.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .exceptionally(failure -> {
          log.warn("Lightning backend could not tell whether a mint quote's invoice is paid: {}",
              MintClient.unwrap(failure).toString());
          return false;
        })
        .thenCompose(paid -> paid ? mint.submit(new MintRequest.MarkMintQuotePaid(id))
            : CompletableFuture.completedFuture(quote));
  }

  /** NUT-07. */
  private CompletableFuture<HttpAnswer> checkState(ObjectNode body) throws MintRefusal {
    List<byte[]> ys = MintRequest.ys(body, "request");
    return mint.query(new MintRequest.CheckState(ys)).thenApply(CashuHttpApi::ok);
  }

  private interface KeysetCheck {
    void check(java.util.Map<String, Keyset> keysets) throws MintRefusal;
  }

  /** Runs static checks against the cached keysets; an unknown keyset refreshes the cache once. */
  private CompletableFuture<Void> checkedWithKeys(KeysetCheck check) {
    return mint.keys(false).thenCompose(view -> {
      try {
        check.check(view.byId());
        return CompletableFuture.<Void>completedFuture(null);
      } catch (MintRefusal refusal) {
        if (refusal.error() != MintError.KEYSET_UNKNOWN) {
          throw new CompletionException(refusal);
        }
      }
      return mint.keys(true).thenAccept(fresh -> {
        try {
          check.check(fresh.byId());
        } catch (MintRefusal refusal) {
          throw new CompletionException(refusal);
        }
      });
    });
  }

  static void requireSat(JsonNode body) throws MintRefusal {
    String unit = CashuJson.string(body, "unit", "request", 16);
    if (!MintParameters.UNIT.equals(unit)) {
      throw new MintRefusal(MintError.UNIT_UNSUPPORTED, "unit '" + CashuJson.clip(unit) + "' is not supported; this "
          + "mint works in '" + MintParameters.UNIT + "'");
    }
  }

  /** Refuses a request whose encoding would not fit one committed event. */
  static void checkSize(MintRequest request) throws MintRefusal {
    int bytes = request.encode().length;
    if (bytes > MintParameters.REQUEST_BYTES_MAX) {
      throw CashuJson.malformed("request is " + bytes + " bytes once encoded, over REQUEST_BYTES_MAX "
          + MintParameters.REQUEST_BYTES_MAX + "; send fewer inputs or outputs");
    }
  }

  private static String quoteIdFromPath(String id) throws MintRefusal {
    if (!MintRequest.QUOTE_ID.matcher(id).matches()) {
      throw new MintRefusal(MintError.QUOTE_NOT_FOUND, "'" + CashuJson.clip(id) + "' is not a quote id of this mint");
    }
    return id;
  }

  static HttpAnswer ok(ObjectNode body) {
    return new HttpAnswer(200, "application/json", CashuJson.write(body));
  }

  static HttpAnswer refused(MintRefusal refusal) {
    ObjectNode body = CashuJson.object();
    body.put("detail", refusal.error().title() + ": " + refusal.detail());
    body.put("code", refusal.error().code());
    return new HttpAnswer(400, "application/json", CashuJson.write(body));
  }

  private static HttpAnswer plain(int status, String detail) {
    ObjectNode body = CashuJson.object();
    body.put("detail", detail);
    body.put("code", 0);
    return new HttpAnswer(status, "application/json", CashuJson.write(body));
  }

  private static HttpAnswer failure(Throwable failure) {
    Throwable cause = MintClient.unwrap(failure);
    if (cause instanceof MintRefusal refusal) {
      return refused(refusal);
    }
    if (cause instanceof AppRejectedException rejected) {
      log.error("the replicated mint failed on a request: {}", rejected.getMessage());
      return plain(500, "the mint failed on this request: " + rejected.getMessage());
    }
    log.warn("a mint request could not be served: {}", cause.toString());
    return plain(503, "the mint is unavailable right now (" + cause.getClass().getSimpleName() + "); try again");
  }
}

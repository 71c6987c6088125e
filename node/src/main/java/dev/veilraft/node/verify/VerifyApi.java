package dev.veilraft.node.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.MalformedReportException;
import dev.veilraft.crypto.attestation.NitroEvidenceVerifier;
import dev.veilraft.crypto.attestation.PlatformFormat;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.node.api.ApiException;
import dev.veilraft.node.api.ApiServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code POST /v1/verify}: verifies evidence anyone sends, like a verification service, and
 * answers the verified claims or the specific reason it failed. Out of protocol: nothing reaches
 * the log or the cluster's verifier (this route has its own verifier and chain cache), and the
 * node makes no outbound request (SEV-SNP certificates come with the request). Bodies (at most
 * {@link #BODY_BYTES_MAX}):
 * <ul>
 *   <li>an {@code Evidence} protobuf (what a node attests, certificate chain and collateral inside);
 *   <li>the JSON that {@code GET /v1/attestation} returns: its evidence is checked and its
 *       report data must bind the nonce and keys it lists (or {@code expected_nonce});
 *   <li>a JSON request: {@code evidence} (base64 or hex of an Evidence protobuf, or of a raw
 *       report/quote/document with {@code platform}), {@code certs} (PEM or base64 DER, any
 *       order), {@code crls}, {@code tcb_info}, {@code qe_identity}, {@code tcb_signing_chain}
 *       (as {@code veilraft verify} takes them), {@code report_data} (hex, 64 bytes), {@code at}
 *       (ISO-8601 instant).
 * </ul>
 * Answers 200 with the report (verdict PASSED or FAILED with reasons), 400 for unusable input,
 * 413 when too large, 429 when {@link #CONCURRENT_MAX} verifications are already running (BUSY)
 * or the caller's address or all callers together started more than their rate allows
 * ({@link VerifyRateLimit}: RATE_LIMITED, with Retry-After).
 * Simulated evidence is verified against this cluster's simulated roots and labelled INSECURE.
 */
public final class VerifyApi {
  public static final String PATH = "/v1/verify";
  /** Evidence with its chain and collateral is tens of KiB; base64 adds a third. */
  public static final int BODY_BYTES_MAX = 256 * 1024;
  /** Verifications run on the request thread and cost RSA/ECDSA chain checks: bounded so anyone cannot load the node. */
  public static final int CONCURRENT_MAX = 2;
  /** Error code of a request refused by the rate limit ({@link VerifyRateLimit}). */
  public static final String RATE_LIMITED = "RATE_LIMITED";
  /** Retry-After of a request refused because {@link #CONCURRENT_MAX} verifications are running. */
  static final long BUSY_RETRY_AFTER_SECONDS = 1;
  private static final int CERTS_MAX = Certificates.CHAIN_CERTS_MAX;
  /** A verifier uses one AMD or a PCK and a root CRL; a few spare. */
  private static final int CRLS_MAX = 8;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AttestationVerifier verifier = new AttestationVerifier();
  private final Semaphore running = new Semaphore(CONCURRENT_MAX);
  private final VerifyRateLimit rate;
  private final Supplier<Policy> clusterPolicy;
  private final InstantSource clock;

  /**
   * {@code clusterPolicy} names the simulated roots this node trusts (a null policy, or one that
   * does not allow simulation: none); {@code clock} is "now" for certificate validity.
   */
  public VerifyApi(Supplier<Policy> clusterPolicy, InstantSource clock) {
    this(clusterPolicy, clock, System::nanoTime);
  }

  /** {@code nanoTime} is the monotonic clock of the rate limit (tests drive it). */
  VerifyApi(Supplier<Policy> clusterPolicy, InstantSource clock, LongSupplier nanoTime) {
    this.clusterPolicy = clusterPolicy;
    this.clock = clock;
    this.rate = new VerifyRateLimit(nanoTime);
  }

  public void register(ApiServer api) {
    api.routeHttpFromCaller("POST", PATH, this::answerFrom);
  }

  /**
   * The route: the rate limit of {@code caller}'s address and of all callers first (a refused
   * request costs no parsing), then {@link #answer}.
   */
  ApiServer.CallerAnswer answerFrom(byte[] body, String query, String caller) {
    VerifyRateLimit.Decision decision = rate.tryAcquire(caller);
    if (!decision.allowed()) {
      String detail = decision.global()
          ? "this node starts at most " + fmt(VerifyRateLimit.GLOBAL_RATE_PER_SECOND) + " verifications per second for"
              + " all callers together (bursts of " + fmt(VerifyRateLimit.GLOBAL_BURST) + "), so that verification"
              + " cannot starve consensus; retry after " + decision.retryAfterSeconds() + " s"
          : "your address may start at most " + fmt(VerifyRateLimit.SOURCE_RATE_PER_SECOND) + " verifications per"
              + " second (bursts of " + fmt(VerifyRateLimit.SOURCE_BURST) + "); retry after "
              + decision.retryAfterSeconds() + " s";
      return new ApiServer.CallerAnswer(error(429, RATE_LIMITED, detail),
          Map.of("Retry-After", Long.toString(decision.retryAfterSeconds())));
    }
    HttpAnswer answer = answer(body, query);
    return new ApiServer.CallerAnswer(answer, answer.status() == 429
        ? Map.of("Retry-After", Long.toString(BUSY_RETRY_AFTER_SECONDS)) : Map.of());
  }

  private static String fmt(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  /** What the request asked to verify. */
  /**
   * @param callerChoseReportData whether the expected report data comes from the caller (a {@code ?nonce=},
   *     {@code expected_nonce} or {@code report_data}), so a match proves freshness; the document's own nonce does not
   */
  record Request(Evidence evidence, byte[] expectedReportData, String binding, String nodeId, Instant at,
      boolean callerChoseReportData) {}

  HttpAnswer answer(byte[] body, String query) {
    if (body.length > BODY_BYTES_MAX) {
      return error(413, "BODY_TOO_LARGE", "body is " + body.length + " bytes, at most " + BODY_BYTES_MAX);
    }
    if (!running.tryAcquire()) {
      return error(429, "BUSY", CONCURRENT_MAX + " verifications are running; retry shortly");
    }
    try {
      Request request = parse(body, query);
      EvidenceReport report = EvidenceReport.verify(verifier, request.evidence(), simulatedRoots(), null, null,
          request.at());
      return HttpAnswer.json(200, toJson(report, request));
    } catch (ApiException e) {
      return error(e.status(), e.code(), e.getMessage());
    } finally {
      running.release();
    }
  }

  private Policy simulatedRoots() {
    Policy policy = clusterPolicy.get();
    return policy != null && policy.getAllowSimulated() ? policy : null;
  }

  private static String toJson(EvidenceReport report, Request request) {
    Map<String, Object> root = new LinkedHashMap<>(report.toMap());
    root.remove("policy");
    root.remove("report_data_checked");
    boolean checked = request.expectedReportData() != null;
    root.put("report_data_checked", checked);
    if (request.binding() != null) {
      root.put("binding", request.binding());
      root.put("node_id", request.nodeId());
    }
    if (checked && report.platformResult().accepted()
        && !MessageDigest.isEqual(report.platformResult().claims().reportData(), request.expectedReportData())) {
      @SuppressWarnings("unchecked")
      List<Map<String, String>> failures = new ArrayList<>((List<Map<String, String>>) root.get("failures"));
      Map<String, String> failure = new LinkedHashMap<>();
      failure.put("layer", "binding");
      failure.put("reason", "REPORT_DATA_MISMATCH");
      failure.put("message", "report_data " + Hashes.shortHex(report.platformResult().claims().reportData(), 8)
          + " is not the expected " + Hashes.shortHex(request.expectedReportData(), 8)
          + (request.binding() == null ? "" : " (" + request.binding() + " of the listed nonce and keys)"));
      failures.add(failure);
      root.put("failures", failures);
      root.put("verdict", "FAILED");
    }
    root.put("not_checked", notChecked(request));
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the verification report", e);
    }
  }

  /**
   * What PASSED does not mean. This is a verification service for the platform layer: an appraisal
   * (which code, debug or not, which TCB is good enough, how fresh) is the relying party's, so every
   * answer says which of those it did not judge.
   */
  static List<String> notChecked(Request request) {
    List<String> missing = new ArrayList<>();
    missing.add("policy: the measurement, debug mode (see claims.debug), TCB floor and signer are not judged against "
        + "any policy; compare the claims with yours");
    if (!request.callerChoseReportData()) {
      missing.add("freshness: no nonce or report data of yours was given (?nonce=, expected_nonce or report_data), so"
          + " this evidence may be old or replayed");
    }
    Collateral collateral = request.evidence().getCollateral();
    if (collateral.getCrlsCount() == 0) {
      missing.add("revocation: no CRLs were sent");
    }
    if (request.evidence().getPlatform() == Platform.TDX && collateral.getTdxTcbInfo().isEmpty()) {
      missing.add("tcb_status: no TDX TCB info and QE identity were sent");
    }
    return missing;
  }

  private Request parse(byte[] body, String query) throws ApiException {
    byte[] expectedNonce = queryNonce(query);
    int first = 0;
    while (first < body.length && Character.isWhitespace(body[first])) {
      first++;
    }
    if (first == body.length) {
      throw new ApiException(400, "EMPTY_BODY", "post an Evidence protobuf, the JSON of GET /v1/attestation, or a "
          + "JSON request {\"evidence\": ..., \"platform\": ...}");
    }
    if (body[first] != '{') {
      Evidence evidence = evidenceProtobuf(body, "body");
      return new Request(evidence, null, null, null, defaultInstant(evidence), false);
    }
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ApiException(400, "MALFORMED_JSON", "body is not JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new ApiException(400, "MALFORMED_JSON", "body is not JSON: " + e.getMessage());
    }
    if (!json.isObject()) {
      throw new ApiException(400, "MALFORMED_JSON", "body must be a JSON object");
    }
    byte[] jsonNonce = json.has("expected_nonce") ? hex(text(json, "expected_nonce"), "expected_nonce", -1) : null;
    if (expectedNonce == null) {
      expectedNonce = jsonNonce;
    }
    return json.has("identity_certificate") ? attestationForm(json, expectedNonce) : requestForm(json);
  }

  /** The JSON of GET /v1/attestation: the report data must bind its nonce (or the expected one) and keys. */
  private Request attestationForm(JsonNode json, byte[] expectedNonce) throws ApiException {
    Evidence evidence = evidenceProtobuf(base64(text(json, "evidence"), "evidence"), "evidence");
    java.security.cert.X509Certificate identity;
    try {
      identity = Certificates.parse(base64(text(json, "identity_certificate"), "identity_certificate"),
          "identity_certificate");
    } catch (CryptoException e) {
      throw new ApiException(400, "BAD_CERTIFICATE", "identity_certificate: " + e.getMessage());
    }
    byte[] identitySpki = identity.getPublicKey().getEncoded();
    // The node id is the hash of the identity key: a node_id that is not is a forged or mixed-up document.
    String nodeId = Certificates.nodeId(identity);
    if (json.has("node_id") && !text(json, "node_id").equals(nodeId)) {
      throw new ApiException(400, "NODE_ID_MISMATCH", "node_id '" + printable(text(json, "node_id"))
          + "' is not the id of identity_certificate (" + nodeId + ")");
    }
    byte[] kem = base64(text(json, "kem_public_key"), "kem_public_key");
    byte[] nonce = expectedNonce != null ? expectedNonce : hex(text(json, "nonce"), "nonce", -1);
    String binding = json.has("binding") ? text(json, "binding") : "veilraft/attest/v1";
    byte[] expected;
    if (binding.equals("veilraft/attest/v1")) {
      expected = ReportData.bind(nonce, identitySpki, kem);
    } else if (binding.equals("veilraft/attest-web-tls/v1")) {
      expected = ReportData.bindWebTls(nonce, identitySpki, kem, base64(text(json, "web_tls_public_key"),
          "web_tls_public_key"));
    } else {
      throw new ApiException(400, "UNKNOWN_BINDING", "binding '" + printable(binding) + "' is not veilraft/attest/v1 "
          + "or veilraft/attest-web-tls/v1");
    }
    return new Request(evidence, expected, binding, nodeId, at(json, evidence), expectedNonce != null);
  }

  private Request requestForm(JsonNode json) throws ApiException {
    byte[] bytes = EvidenceBytes.decode(text(json, "evidence").getBytes(StandardCharsets.US_ASCII));
    Evidence evidence;
    if (json.has("platform")) {
      Platform platform = platform(text(json, "platform"));
      Evidence.Builder built = Evidence.newBuilder().setPlatform(platform).setReport(ByteString.copyFrom(bytes));
      for (byte[] der : certs(json)) {
        built.addCertChain(ByteString.copyFrom(der));
      }
      evidence = built.build();
    } else {
      evidence = evidenceProtobuf(bytes, "evidence (no 'platform' given, so an Evidence protobuf)");
      if (json.has("certs")) {
        Evidence.Builder built = evidence.toBuilder().clearCertChain();
        certs(json).forEach(der -> built.addCertChain(ByteString.copyFrom(der)));
        evidence = built.build();
      }
    }
    Collateral collateral = collateral(json);
    if (collateral != null) {
      evidence = evidence.toBuilder().setCollateral(collateral).build();
    }
    byte[] expected = json.has("report_data") ? hex(text(json, "report_data"), "report_data", ReportData.BYTES) : null;
    return new Request(evidence, expected, null, null, at(json, evidence), expected != null);
  }

  /**
   * Revocation lists and TDX collateral, as {@code veilraft verify} takes them in files:
   * {@code crls} (base64 DER), {@code tcb_info} and {@code qe_identity} (Intel PCS JSON bodies as
   * served), {@code tcb_signing_chain} (PEM). Null when the request has none.
   */
  private static Collateral collateral(JsonNode json) throws ApiException {
    Collateral.Builder collateral = Collateral.newBuilder();
    JsonNode crls = json.get("crls");
    if (crls != null) {
      if (!crls.isArray() || crls.size() > CRLS_MAX) {
        throw new ApiException(400, "BAD_COLLATERAL", "crls must be an array of at most " + CRLS_MAX + " base64 strings");
      }
      for (JsonNode crl : crls) {
        if (!crl.isTextual()) {
          throw new ApiException(400, "BAD_COLLATERAL", "crls holds a " + crl.getNodeType() + ", not a string");
        }
        collateral.addCrls(ByteString.copyFrom(base64(crl.asText(), "crls")));
      }
    }
    if (json.has("tcb_info")) {
      collateral.setTdxTcbInfo(ByteString.copyFromUtf8(text(json, "tcb_info")));
    }
    if (json.has("qe_identity")) {
      collateral.setTdxQeIdentity(ByteString.copyFromUtf8(text(json, "qe_identity")));
    }
    if (json.has("tcb_signing_chain")) {
      try {
        Certificates.readAll(text(json, "tcb_signing_chain").getBytes(StandardCharsets.US_ASCII), "tcb_signing_chain")
            .forEach(der -> collateral.addTdxSigningChain(ByteString.copyFrom(der)));
      } catch (CryptoException e) {
        throw new ApiException(400, "BAD_COLLATERAL", e.getMessage());
      }
    }
    Collateral built = collateral.build();
    return built.equals(Collateral.getDefaultInstance()) ? null : built;
  }

  private static List<byte[]> certs(JsonNode json) throws ApiException {
    JsonNode certs = json.get("certs");
    if (certs == null) {
      return List.of();
    }
    if (!certs.isArray() || certs.size() > CERTS_MAX) {
      throw new ApiException(400, "BAD_CERTIFICATE", "certs must be an array of at most " + CERTS_MAX + " strings");
    }
    List<byte[]> ders = new ArrayList<>();
    for (JsonNode cert : certs) {
      if (!cert.isTextual()) {
        throw new ApiException(400, "BAD_CERTIFICATE", "certs holds a " + cert.getNodeType() + ", not a string");
      }
      String text = cert.asText();
      byte[] bytes = text.contains("-----BEGIN") ? text.getBytes(StandardCharsets.US_ASCII)
          : EvidenceBytes.decode(text.getBytes(StandardCharsets.US_ASCII));
      try {
        ders.addAll(Certificates.readAll(bytes, "certs[" + ders.size() + "]"));
      } catch (CryptoException e) {
        throw new ApiException(400, "BAD_CERTIFICATE", e.getMessage());
      }
    }
    if (ders.size() > CERTS_MAX) {
      throw new ApiException(400, "BAD_CERTIFICATE", "certs hold " + ders.size() + " certificates, at most " + CERTS_MAX);
    }
    try {
      return ders.isEmpty() ? ders : Certificates.orderLeafFirst(ders);
    } catch (CryptoException e) {
      throw new ApiException(400, "BAD_CERTIFICATE", "certs: " + e.getMessage());
    }
  }

  private static Platform platform(String name) throws ApiException {
    return switch (name.toLowerCase(Locale.ROOT).replace('-', '_')) {
      case "snp", "sev_snp" -> Platform.SEV_SNP;
      case "tdx" -> Platform.TDX;
      case "nitro" -> Platform.NITRO;
      case "simulated_snp" -> Platform.SIMULATED_SNP;
      case "simulated_tdx" -> Platform.SIMULATED_TDX;
      default -> throw new ApiException(400, "UNKNOWN_PLATFORM", "platform '" + printable(name)
          + "' is not snp, tdx, nitro, simulated_snp or simulated_tdx");
    };
  }

  private static Evidence evidenceProtobuf(byte[] bytes, String what) throws ApiException {
    Evidence evidence;
    try {
      evidence = Evidence.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ApiException(400, "MALFORMED_EVIDENCE", what + " is not an Evidence protobuf: " + e.getMessage());
    }
    if (evidence.getPlatform() == Platform.PLATFORM_UNSPECIFIED || evidence.getReport().isEmpty()) {
      throw new ApiException(400, "MALFORMED_EVIDENCE", what + " is not an Evidence protobuf with a platform and a "
          + "report (for a raw report, quote or document send JSON with 'platform')");
    }
    return evidence;
  }

  private Instant at(JsonNode json, Evidence evidence) throws ApiException {
    if (!json.has("at")) {
      return defaultInstant(evidence);
    }
    String at = text(json, "at");
    try {
      return Instant.parse(at);
    } catch (DateTimeParseException e) {
      throw new ApiException(400, "BAD_TIME", "at '" + printable(at) + "' is not an ISO-8601 instant "
          + "(2026-11-21T10:00:00Z)");
    }
  }

  /** Now; for Nitro, the document's own time (its leaf certificates live about three hours). */
  private Instant defaultInstant(Evidence evidence) {
    if (PlatformFormat.of(evidence.getPlatform()).orElse(null) == PlatformFormat.NITRO) {
      try {
        return NitroEvidenceVerifier.documentTimestamp(evidence.getReport().toByteArray());
      } catch (MalformedReportException e) {
        return clock.instant(); // the verifier names what is malformed
      }
    }
    return clock.instant();
  }

  private static byte[] queryNonce(String query) throws ApiException {
    if (query == null || query.isEmpty()) {
      return null;
    }
    for (String part : query.split("&")) {
      if (part.startsWith("nonce=")) {
        return hex(part.substring("nonce=".length()), "nonce", -1);
      }
    }
    throw new ApiException(400, "BAD_QUERY", "the only query parameter is nonce (hex)");
  }

  private static String text(JsonNode json, String field) throws ApiException {
    JsonNode value = json.get(field);
    if (value == null || !value.isTextual()) {
      throw new ApiException(400, "MISSING_FIELD", "field '" + field + "' (a string) is required");
    }
    return value.asText();
  }

  private static byte[] base64(String text, String field) throws ApiException {
    try {
      return Base64.getDecoder().decode(text.replaceAll("\\s+", ""));
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "BAD_ENCODING", "field '" + field + "' is not base64: " + e.getMessage());
    }
  }

  /** Hex of {@code bytes} bytes ({@code -1}: any length from 1 to 64). */
  private static byte[] hex(String text, String field, int bytes) throws ApiException {
    byte[] value;
    try {
      value = Hashes.unhex(text.trim());
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "BAD_ENCODING", "field '" + field + "' is not hex");
    }
    if (bytes >= 0 ? value.length != bytes : value.length == 0 || value.length > 64) {
      throw new ApiException(400, "BAD_LENGTH", "field '" + field + "' is " + value.length + " bytes, expected "
          + (bytes >= 0 ? Integer.toString(bytes) : "1-64"));
    }
    return value;
  }

  private static String printable(String text) {
    String cut = text.length() > 40 ? text.substring(0, 40) + "…" : text;
    return cut.replaceAll("[^\\x20-\\x7e…]", "?");
  }

  private static HttpAnswer error(int status, String code, String detail) {
    return HttpAnswer.json(status, ApiServer.errorJson(code, detail));
  }
}

package dev.veilraft.crypto.attestation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-only: Intel-shaped TDX TCB info and TD QE identity for a {@link TdxTestPki}, signed by its
 * "Intel SGX TCB Signing" key over the exact text of the inner object, as Intel's PCS serves them.
 * Defaults match {@link TdxQuoteBuilder}'s defaults with status UpToDate; tests change one part.
 */
final class TdxCollateralBuilder {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One TCB level: SGX components and PCESVN (PCK side), TDX components (TEE_TCB_SVN side). */
  record Level(int[] sgx, int pceSvn, int[] tdx, String status, List<String> advisories) {}

  /** One TDX module identity ("TDX_01", ...) with its ISVSVN levels. */
  record Module(String id, List<IsvLevel> levels) {}

  record IsvLevel(int isvSvn, String status, List<String> advisories) {}

  private TdxTestPki pki = TdxTestPki.standard();
  Instant issueDate = Instant.parse("2026-05-01T00:00:00Z");
  Instant nextUpdate = Instant.parse("2026-07-01T00:00:00Z");
  String fmspc = Hashes.hex(TdxTestPki.FMSPC);
  String tcbInfoId = "TDX";
  byte[] moduleMrSigner = new byte[48];
  List<Module> modules = new ArrayList<>(List.of(new Module("TDX_01", List.of(
      new IsvLevel(5, "UpToDate", List.of()), new IsvLevel(2, "OutOfDate", List.of("INTEL-SA-TEST-MODULE")))),
      new Module("TDX_03", List.of(new IsvLevel(3, "UpToDate", List.of())))));
  List<Level> levels = new ArrayList<>(List.of(
      new Level(TdxTestPki.SGX_TCB, TdxTestPki.PCE_SVN, tdx(3, 0, 5), "UpToDate", List.of()),
      new Level(TdxTestPki.SGX_TCB, TdxTestPki.PCE_SVN, tdx(3, 0, 3), "OutOfDate", List.of("INTEL-SA-TEST-TDX")),
      new Level(sgx(2), 5, tdx(1, 0, 1), "OutOfDate", List.of("INTEL-SA-TEST-OLD"))));
  byte[] qeMrSigner = TdxQuoteBuilder.QE_MR_SIGNER;
  List<IsvLevel> qeLevels = new ArrayList<>(List.of(new IsvLevel(8, "UpToDate", List.of()),
      new IsvLevel(4, "OutOfDate", List.of("INTEL-SA-TEST-QE"))));
  boolean includeSigningChain = true;

  TdxCollateralBuilder pki(TdxTestPki value) {
    pki = value;
    return this;
  }

  /** TDX components: the first three given, the rest zero. */
  static int[] tdx(int... first) {
    int[] out = new int[16];
    System.arraycopy(first, 0, out, 0, first.length);
    return out;
  }

  /** SGX components all equal to {@code svn}. */
  static int[] sgx(int svn) {
    int[] out = new int[16];
    java.util.Arrays.fill(out, svn);
    return out;
  }

  String tcbInfoText() {
    ObjectNode info = JSON.createObjectNode();
    info.put("id", tcbInfoId).put("version", 3).put("issueDate", issueDate.toString())
        .put("nextUpdate", nextUpdate.toString()).put("fmspc", fmspc).put("pceId", "0000").put("tcbType", 0)
        .put("tcbEvaluationDataNumber", 17);
    info.set("tdxModule", module(null));
    ArrayNode identities = info.putArray("tdxModuleIdentities");
    for (Module module : modules) {
      ObjectNode node = module(module.id());
      node.set("tcbLevels", isvLevels(module.levels()));
      identities.add(node);
    }
    ArrayNode tcbLevels = info.putArray("tcbLevels");
    for (Level level : levels) {
      ObjectNode node = tcbLevels.addObject();
      ObjectNode tcb = node.putObject("tcb");
      tcb.set("sgxtcbcomponents", components(level.sgx()));
      tcb.put("pcesvn", level.pceSvn());
      tcb.set("tdxtcbcomponents", components(level.tdx()));
      node.put("tcbDate", "2025-01-01T00:00:00Z").put("tcbStatus", level.status());
      if (!level.advisories().isEmpty()) {
        level.advisories().forEach(node.putArray("advisoryIDs")::add);
      }
    }
    return info.toString();
  }

  String qeIdentityText() {
    ObjectNode identity = JSON.createObjectNode();
    identity.put("id", "TD_QE").put("version", 2).put("issueDate", issueDate.toString())
        .put("nextUpdate", nextUpdate.toString()).put("tcbEvaluationDataNumber", 17)
        .put("miscselect", "00000000").put("miscselectMask", "FFFFFFFF")
        .put("attributes", "11000000000000000000000000000000")
        .put("attributesMask", "FBFFFFFFFFFFFFFF0000000000000000")
        .put("mrsigner", Hashes.hex(qeMrSigner).toUpperCase()).put("isvprodid", TdxQuoteBuilder.QE_ISV_PROD_ID);
    identity.set("tcbLevels", isvLevels(qeLevels));
    return identity.toString();
  }

  /** {"tcbInfo":{...},"signature":"hex"} with the signature over the exact inner text. */
  byte[] tcbInfoBody() {
    return signedBody("tcbInfo", tcbInfoText());
  }

  byte[] qeIdentityBody() {
    return signedBody("enclaveIdentity", qeIdentityText());
  }

  byte[] signedBody(String key, String inner) {
    byte[] signature = pki.tcbSigningKey.signRaw(inner.getBytes(StandardCharsets.UTF_8));
    return ("{\"" + key + "\":" + inner + ",\"signature\":\"" + Hashes.hex(signature) + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** TCB info, QE identity and the signing chain (TCB signing certificate and root). */
  Collateral collateral() {
    Collateral.Builder collateral = Collateral.newBuilder().setTdxTcbInfo(ByteString.copyFrom(tcbInfoBody()))
        .setTdxQeIdentity(ByteString.copyFrom(qeIdentityBody()));
    if (includeSigningChain) {
      collateral.addTdxSigningChain(ByteString.copyFrom(TdxTestPki.der(pki.tcbSigning)))
          .addTdxSigningChain(ByteString.copyFrom(TdxTestPki.der(pki.root)));
    }
    return collateral.build();
  }

  private ObjectNode module(String id) {
    ObjectNode node = JSON.createObjectNode();
    if (id != null) {
      node.put("id", id);
    }
    node.put("mrsigner", Hashes.hex(moduleMrSigner)).put("attributes", "0000000000000000")
        .put("attributesMask", "FFFFFFFFFFFFFFFF");
    return node;
  }

  private static ArrayNode isvLevels(List<IsvLevel> levels) {
    ArrayNode array = JSON.createArrayNode();
    for (IsvLevel level : levels) {
      ObjectNode node = array.addObject();
      node.putObject("tcb").put("isvsvn", level.isvSvn());
      node.put("tcbDate", "2025-01-01T00:00:00Z").put("tcbStatus", level.status());
      if (!level.advisories().isEmpty()) {
        level.advisories().forEach(node.putArray("advisoryIDs")::add);
      }
    }
    return array;
  }

  private static ArrayNode components(int[] svns) {
    ArrayNode array = JSON.createArrayNode();
    for (int svn : svns) {
      array.addObject().put("svn", svn);
    }
    return array;
  }
}

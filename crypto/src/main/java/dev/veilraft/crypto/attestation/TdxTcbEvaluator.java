package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Intel's TDX TCB evaluation over verified collateral, following the TCB level matching of Intel's
 * quote verification library (QVL) and the PCS TCB info v3 documentation:
 * <ol>
 *   <li>The TCB info must be TDX version 3 for the PCK's FMSPC and PCE id.</li>
 *   <li>The TDX module must be Intel's: MRSIGNERSEAM and SEAMATTRIBUTES (under the mask) as in
 *       {@code tdxModule}, or, when TEE_TCB_SVN[1] (the module's major version) is above 0, as in
 *       the {@code tdxModuleIdentities} entry "TDX_&lt;version&gt;".</li>
 *   <li>The QE must be Intel's TD QE: MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES under masks.</li>
 *   <li>TCB level: the first (levels are served highest first) whose 16 SGX components and PCESVN
 *       are at most the PCK's; among those, the first whose TDX components are at most TEE_TCB_SVN
 *       (bytes 0 and 1 skipped when TEE_TCB_SVN[1] is above 0, as the module identity rates them).</li>
 *   <li>Module status: the first module identity level whose ISVSVN is at most TEE_TCB_SVN[0];
 *       UpToDate when TEE_TCB_SVN[1] is 0. It downgrades the level's status (QVL's
 *       convergeTcbStatusWithTdxModuleStatus).</li>
 *   <li>TDX 1.5 bodies: TD relaunch advised when the platform is current but the module the TD
 *       launched on is not, and TEE_TCB_SVN2 shows the current module is (QVL's checkForRelaunch).</li>
 *   <li>QE status: the first QE identity level whose ISVSVN is at most the QE report's; it
 *       downgrades the status the same way (QVL's convergeTcbStatusWithQeTcbStatus).</li>
 * </ol>
 * A "Revoked" outcome is refused here ({@code CERT_REVOKED}); a quote that matches no level or
 * identity ("TCB not supported" in QVL terms) is {@code COLLATERAL_INVALID}: the collateral cannot
 * vouch for it. Other statuses are reported for the policy to judge. Pure function; thread-safe.
 */
final class TdxTcbEvaluator {
  static final String TCB_INFO_ID_TDX = "TDX";
  static final int TCB_INFO_VERSION = 3;
  static final String QE_IDENTITY_ID_TD_QE = "TD_QE";
  static final int QE_IDENTITY_VERSION = 2;
  private static final String MODULE_ID_PREFIX = "TDX_";
  private static final Set<TdxTcbStatus> LEVEL_STATUSES = Set.of(TdxTcbStatus.UP_TO_DATE,
      TdxTcbStatus.SW_HARDENING_NEEDED, TdxTcbStatus.CONFIGURATION_NEEDED,
      TdxTcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED, TdxTcbStatus.OUT_OF_DATE,
      TdxTcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED, TdxTcbStatus.REVOKED);
  private static final Set<TdxTcbStatus> ISVSVN_STATUSES = Set.of(TdxTcbStatus.UP_TO_DATE,
      TdxTcbStatus.OUT_OF_DATE, TdxTcbStatus.REVOKED);

  private TdxTcbEvaluator() {}

  /** The outcome: a status when TCB info was supplied, and the advisories of the matched levels. */
  record Verdict(Optional<TdxTcbStatus> status, List<String> advisoryIds) {}

  private record Rated(TdxTcbStatus status, List<String> advisoryIds) {}

  static Verdict evaluate(TdxQuote quote, TdxPckExtensions pck, Optional<TdxCollateral.TcbInfo> tcbInfo,
      Optional<TdxCollateral.QeIdentity> qeIdentity) throws Rejection {
    Optional<Rated> qe = Optional.empty();
    if (qeIdentity.isPresent()) {
      qe = Optional.of(rateQe(quote.qeReport(), qeIdentity.get()));
    }
    if (tcbInfo.isEmpty()) {
      if (qe.isPresent() && qe.get().status() == TdxTcbStatus.REVOKED) {
        throw revoked("Intel's QE identity rates the QE's ISVSVN " + quote.qeReport().isvSvn() + " Revoked");
      }
      return new Verdict(Optional.empty(), List.of());
    }
    TdxCollateral.TcbInfo info = tcbInfo.get();
    requirePlatform(info, pck);
    byte[] teeTcbSvn = quote.teeTcbSvn();
    int moduleVersion = teeTcbSvn[1] & 0xFF;
    requireIntelModule(info, quote, moduleVersion);

    List<TdxCollateral.TcbLevel> sgxMatches = new ArrayList<>();
    for (TdxCollateral.TcbLevel level : info.levels()) {
      if (atLeast(pck.sgxTcbComponents(), level.sgxComponents(), 0) && pck.pceSvn() >= level.pceSvn()) {
        sgxMatches.add(level);
      }
    }
    if (sgxMatches.isEmpty()) {
      throw invalid("no TCB level of Intel's TCB info matches the PCK's SGX TCB "
          + Arrays.toString(pck.sgxTcbComponents()) + " PCESVN " + pck.pceSvn() + " (TCB not supported)");
    }
    int skip = moduleVersion > 0 ? 2 : 0;
    TdxCollateral.TcbLevel tdxLevel = null;
    for (TdxCollateral.TcbLevel level : sgxMatches) {
      if (atLeast(toInts(teeTcbSvn), level.tdxComponents(), skip)) {
        tdxLevel = level;
        break;
      }
    }
    if (tdxLevel == null) {
      throw invalid("no TCB level of Intel's TCB info matches TEE_TCB_SVN " + Hashes.hex(teeTcbSvn)
          + " (TCB not supported)");
    }
    TdxTcbStatus sgxStatus = status(sgxMatches.get(0).status(), LEVEL_STATUSES, "TCB level");
    Rated module = rateModule(info, teeTcbSvn, moduleVersion);
    TdxTcbStatus status = converge(status(tdxLevel.status(), LEVEL_STATUSES, "TCB level"), module.status());
    if (status == TdxTcbStatus.REVOKED) {
      throw revoked("Intel's TCB info rates this platform's TDX TCB (TEE_TCB_SVN " + Hashes.hex(teeTcbSvn)
          + ") Revoked");
    }
    if (quote.isTdx15() && (qe.isEmpty() || qe.get().status() == TdxTcbStatus.UP_TO_DATE)) {
      status = relaunch(info, quote.teeTcbSvn2(), sgxStatus, status, module.status());
    }
    if (qe.isPresent()) {
      status = converge(status, qe.get().status());
      if (status == TdxTcbStatus.REVOKED) {
        throw revoked("Intel's QE identity rates the QE's ISVSVN " + quote.qeReport().isvSvn() + " Revoked");
      }
    }
    Set<String> advisories = new LinkedHashSet<>(tdxLevel.advisoryIds());
    advisories.addAll(module.advisoryIds());
    qe.ifPresent(rated -> advisories.addAll(rated.advisoryIds()));
    return new Verdict(Optional.of(status), List.copyOf(advisories));
  }

  private static void requirePlatform(TdxCollateral.TcbInfo info, TdxPckExtensions pck) throws Rejection {
    if (!TCB_INFO_ID_TDX.equals(info.id()) || info.version() != TCB_INFO_VERSION) {
      throw invalid("TCB info is '" + Check.printable(info.id()) + "' version " + info.version()
          + "; TDX quotes need id 'TDX' version " + TCB_INFO_VERSION);
    }
    if (!Arrays.equals(info.fmspc(), pck.fmspc())) {
      throw invalid("TCB info is for FMSPC " + Hashes.hex(info.fmspc()) + ", but the PCK certificate's FMSPC is "
          + Hashes.hex(pck.fmspc()));
    }
    if (!Arrays.equals(info.pceId(), pck.pceId())) {
      throw invalid("TCB info is for PCE id " + Hashes.hex(info.pceId()) + ", but the PCK certificate's is "
          + Hashes.hex(pck.pceId()));
    }
  }

  /** MRSIGNERSEAM and SEAMATTRIBUTES must be those of Intel's TDX module (of this major version). */
  private static void requireIntelModule(TdxCollateral.TcbInfo info, TdxQuote quote, int moduleVersion)
      throws Rejection {
    TdxCollateral.TdxModule module = moduleVersion > 0 ? moduleIdentity(info, moduleVersion) : info.tdxModule();
    if (module == null) {
      throw invalid("TCB info has no tdxModule to check the quote's TDX module against");
    }
    String name = moduleVersion > 0 ? "TDX module identity " + Check.printable(module.id()) : "tdxModule";
    if (!Arrays.equals(module.mrSigner(), quote.mrSignerSeam())) {
      throw invalid("quote MRSIGNERSEAM " + Hashes.shortHex(quote.mrSignerSeam(), 8) + " is not the "
          + name + " signer " + Hashes.shortHex(module.mrSigner(), 8) + " in Intel's TCB info");
    }
    if (!maskedEquals(quote.seamAttributesBytes(), module.attributesMask(), module.attributes())) {
      throw invalid("quote SEAMATTRIBUTES " + Hashes.hex(quote.seamAttributesBytes()) + " under mask "
          + Hashes.hex(module.attributesMask()) + " differ from the " + name + " attributes "
          + Hashes.hex(module.attributes()) + " in Intel's TCB info");
    }
  }

  private static TdxCollateral.TdxModule moduleIdentity(TdxCollateral.TcbInfo info, int version) throws Rejection {
    String id = MODULE_ID_PREFIX + String.format(Locale.ROOT, "%02X", version);
    for (TdxCollateral.TdxModule identity : info.tdxModuleIdentities()) {
      if (identity.id().toUpperCase(Locale.ROOT).equals(id)) {
        return identity;
      }
    }
    throw invalid("TCB info has no TDX module identity " + id + " for the quote's TDX module version " + version
        + " (TEE_TCB_SVN[1])");
  }

  private static Rated rateModule(TdxCollateral.TcbInfo info, byte[] teeTcbSvn, int moduleVersion)
      throws Rejection {
    if (moduleVersion == 0) {
      return new Rated(TdxTcbStatus.UP_TO_DATE, List.of());
    }
    TdxCollateral.TdxModule identity = moduleIdentity(info, moduleVersion);
    int isvSvn = teeTcbSvn[0] & 0xFF;
    for (TdxCollateral.IsvSvnLevel level : identity.levels()) {
      if (isvSvn >= level.isvSvn()) {
        return new Rated(status(level.status(), ISVSVN_STATUSES, "TDX module level"), level.advisoryIds());
      }
    }
    throw invalid("no level of TDX module identity " + Check.printable(identity.id()) + " matches module SVN "
        + isvSvn + " (TEE_TCB_SVN[0]; TCB not supported)");
  }

  private static Rated rateQe(TdxQeReport report, TdxCollateral.QeIdentity identity) throws Rejection {
    if (!QE_IDENTITY_ID_TD_QE.equals(identity.id()) || identity.version() != QE_IDENTITY_VERSION) {
      throw invalid("QE identity is '" + Check.printable(identity.id()) + "' version " + identity.version()
          + "; TDX quotes need id 'TD_QE' version " + QE_IDENTITY_VERSION);
    }
    if (!maskedEquals(report.miscSelect(), identity.miscSelectMask(), identity.miscSelect())) {
      throw invalid("QE report MISCSELECT " + Hashes.hex(report.miscSelect()) + " under mask "
          + Hashes.hex(identity.miscSelectMask()) + " differs from Intel's TD QE identity "
          + Hashes.hex(identity.miscSelect()));
    }
    if (!maskedEquals(report.attributes(), identity.attributesMask(), identity.attributes())) {
      throw invalid("QE report ATTRIBUTES " + Hashes.hex(report.attributes()) + " under mask "
          + Hashes.hex(identity.attributesMask()) + " differ from Intel's TD QE identity "
          + Hashes.hex(identity.attributes()));
    }
    if (!Arrays.equals(report.mrSigner(), identity.mrSigner())) {
      throw invalid("QE report MRSIGNER " + Hashes.shortHex(report.mrSigner(), 8) + " is not Intel's TD QE signer "
          + Hashes.shortHex(identity.mrSigner(), 8));
    }
    if (report.isvProdId() != identity.isvProdId()) {
      throw invalid("QE report ISVPRODID " + report.isvProdId() + " is not Intel's TD QE product id "
          + identity.isvProdId());
    }
    for (TdxCollateral.IsvSvnLevel level : identity.levels()) {
      if (report.isvSvn() >= level.isvSvn()) {
        return new Rated(status(level.status(), ISVSVN_STATUSES, "QE identity level"), level.advisoryIds());
      }
    }
    throw invalid("no level of Intel's TD QE identity matches the QE's ISVSVN " + report.isvSvn()
        + " (TCB not supported)");
  }

  /**
   * A lower-rated component (TDX module or QE) downgrades the platform's status: OutOfDate turns
   * the current statuses into OutOfDate and the configuration ones into
   * OutOfDateConfigurationNeeded; Revoked wins.
   */
  static TdxTcbStatus converge(TdxTcbStatus platform, TdxTcbStatus component) {
    if (component == TdxTcbStatus.REVOKED) {
      return TdxTcbStatus.REVOKED;
    }
    if (component == TdxTcbStatus.OUT_OF_DATE) {
      if (platform == TdxTcbStatus.UP_TO_DATE || platform == TdxTcbStatus.SW_HARDENING_NEEDED) {
        return TdxTcbStatus.OUT_OF_DATE;
      }
      if (platform == TdxTcbStatus.CONFIGURATION_NEEDED
          || platform == TdxTcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED) {
        return TdxTcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
      }
    }
    return platform;
  }

  /**
   * TDX 1.5: the module the TD launched on is out of date, but TEE_TCB_SVN2 says the module now
   * running is current (a module update at runtime); relaunching the TD would make it current.
   */
  private static TdxTcbStatus relaunch(TdxCollateral.TcbInfo info, byte[] teeTcbSvn2, TdxTcbStatus sgxStatus,
      TdxTcbStatus tdxStatus, TdxTcbStatus moduleStatus) throws Rejection {
    boolean platformCurrent = sgxStatus == TdxTcbStatus.UP_TO_DATE || sgxStatus == TdxTcbStatus.SW_HARDENING_NEEDED
        || sgxStatus == TdxTcbStatus.CONFIGURATION_NEEDED
        || sgxStatus == TdxTcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED;
    boolean tdxOutOfDate = tdxStatus == TdxTcbStatus.OUT_OF_DATE
        || tdxStatus == TdxTcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
    if (!platformCurrent || !tdxOutOfDate || moduleStatus != TdxTcbStatus.OUT_OF_DATE) {
      return tdxStatus;
    }
    TdxCollateral.TcbLevel latest = info.levels().get(0);
    int version2 = teeTcbSvn2[1] & 0xFF;
    int latestModuleSvn = version2 == 0 ? latest.tdxComponents()[0]
        : moduleIdentity(info, version2).levels().get(0).isvSvn();
    boolean current = (teeTcbSvn2[0] & 0xFF) >= latestModuleSvn && (teeTcbSvn2[2] & 0xFF) >= latest.tdxComponents()[2];
    if (!current) {
      return tdxStatus;
    }
    return sgxStatus.configurationNeeded() || tdxStatus.configurationNeeded()
        ? TdxTcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
        : TdxTcbStatus.TD_RELAUNCH_ADVISED;
  }

  private static TdxTcbStatus status(String name, Set<TdxTcbStatus> allowed, String what) throws Rejection {
    Optional<TdxTcbStatus> status = TdxTcbStatus.fromJsonName(name);
    if (status.isEmpty() || !allowed.contains(status.get())) {
      throw invalid(what + " status '" + Check.printable(name) + "' is not one Intel defines for it");
    }
    return status.get();
  }

  /** Whether every {@code have[i] >= need[i]} for i from {@code from}. */
  private static boolean atLeast(int[] have, int[] need, int from) {
    if (have.length != need.length) {
      return false;
    }
    for (int i = from; i < have.length; i++) {
      if (have[i] < need[i]) {
        return false;
      }
    }
    return true;
  }

  private static int[] toInts(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i] & 0xFF;
    }
    return out;
  }

  private static boolean maskedEquals(byte[] value, byte[] mask, byte[] expected) {
    if (value.length != mask.length || value.length != expected.length) {
      return false;
    }
    for (int i = 0; i < value.length; i++) {
      if ((byte) (value[i] & mask[i]) != expected[i]) {
        return false;
      }
    }
    return true;
  }

  private static Rejection invalid(String message) {
    return new Rejection(RejectReason.COLLATERAL_INVALID, message);
  }

  private static Rejection revoked(String message) {
    return new Rejection(RejectReason.CERT_REVOKED, message + "; Intel revokes a TCB whose keys may be compromised");
  }
}

package dev.veilraft.crypto.attestation;

import java.util.Optional;

/**
 * TCB statuses as Intel's TCB info, TDX module identities and QE identity spell them, plus the two
 * TD-relaunch statuses Intel's quote verification library derives for TDX 1.5. The spelling
 * ({@link #jsonName}) is what {@link TdxClaims#tcbStatus()} carries and what a policy lists in
 * {@code accepted_tcb_statuses}.
 */
public enum TdxTcbStatus {
  UP_TO_DATE("UpToDate"),
  SW_HARDENING_NEEDED("SWHardeningNeeded"),
  CONFIGURATION_NEEDED("ConfigurationNeeded"),
  CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
  OUT_OF_DATE("OutOfDate"),
  OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
  /** The TDX module was updated since the TD launched; relaunching the TD brings it up to date. */
  TD_RELAUNCH_ADVISED("TDRelaunchAdvised"),
  TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED("TDRelaunchAdvisedConfigurationNeeded"),
  REVOKED("Revoked");

  private final String jsonName;

  TdxTcbStatus(String jsonName) {
    this.jsonName = jsonName;
  }

  public String jsonName() {
    return jsonName;
  }

  /** The status Intel spells {@code name}; empty for anything else (compared exactly). */
  public static Optional<TdxTcbStatus> fromJsonName(String name) {
    for (TdxTcbStatus status : values()) {
      if (status.jsonName.equals(name)) {
        return Optional.of(status);
      }
    }
    return Optional.empty();
  }

  boolean configurationNeeded() {
    return this == CONFIGURATION_NEEDED || this == CONFIGURATION_AND_SW_HARDENING_NEEDED
        || this == OUT_OF_DATE_CONFIGURATION_NEEDED || this == TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
  }

  @Override
  public String toString() {
    return jsonName;
  }
}

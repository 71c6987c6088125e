package dev.veilraft.crypto.attestation;

import java.util.Map;

/** The fields only one platform has, decoded from verified evidence. */
public sealed interface PlatformClaims permits SnpClaims, TdxClaims, NitroClaims {
  /** Ordered name → printable value (hex for bytes); names are the specification's, lower case. */
  Map<String, String> describe();
}

package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Check;
import java.util.Objects;

/**
 * A request for an SEV-SNP derived key (MSG_KEY_REQ in the SNP firmware ABI, SNP_GET_DERIVED_KEY in
 * Linux). The firmware mixes the chosen root key with the guest fields selected here, so the key
 * changes when any selected field does: select the measurement to bind sealed data to the code.
 *
 * @param rootKey the chip's VCEK-derived root, or the VM root key (VMRK) a migration agent shares
 * @param guestFieldSelect a mask of {@code FIELD_*} bits
 * @param vmpl the VMPL to mix in; must be at or above the requester's own (0 to 3)
 * @param guestSvn the guest SVN to mix in; at most the SVN the guest was launched with
 * @param tcbVersion the TCB_VERSION to mix in; at most the committed TCB
 */
public record SnpDerivedKeyRequest(RootKey rootKey, long guestFieldSelect, int vmpl, int guestSvn,
    long tcbVersion) {
  public static final long FIELD_GUEST_POLICY = 1L << 0;
  public static final long FIELD_IMAGE_ID = 1L << 1;
  public static final long FIELD_FAMILY_ID = 1L << 2;
  public static final long FIELD_MEASUREMENT = 1L << 3;
  public static final long FIELD_GUEST_SVN = 1L << 4;
  public static final long FIELD_TCB_VERSION = 1L << 5;
  private static final long FIELDS_ALL = (1L << 6) - 1;

  /** ROOT_KEY_SELECT. */
  public enum RootKey {
    /** Derived from the chip-unique VCEK: the key dies with this chip. */
    VCEK(0),
    /** The VM root key, shared with a migration agent. */
    VMRK(1);

    private final int select;

    RootKey(int select) {
      this.select = select;
    }

    int select() {
      return select;
    }
  }

  public SnpDerivedKeyRequest {
    Objects.requireNonNull(rootKey, "rootKey");
    Check.argument((guestFieldSelect & ~FIELDS_ALL) == 0,
        "guest field select has unknown bits: 0x" + Long.toHexString(guestFieldSelect));
    Check.argument(vmpl >= 0 && vmpl <= SevGuestDevice.VMPL_MAX, "VMPL must be 0 to 3, got " + vmpl);
  }

  /** A VCEK-rooted key bound to the guest policy and the launch measurement, at VMPL 0. */
  public static SnpDerivedKeyRequest measurementBound() {
    return new SnpDerivedKeyRequest(RootKey.VCEK, FIELD_GUEST_POLICY | FIELD_MEASUREMENT, 0, 0, 0);
  }
}

package dev.veilraft.apps.cashu;

import dev.veilraft.crypto.Check;
import java.net.URI;
import java.time.Clock;
import java.util.List;

/**
 * Node-local settings of a mint front end: what {@code /v1/info} tells wallets (NUT-06) and the
 * clock the front end uses for its own I/O (invoice time stamps, the info's {@code time}). None
 * of it is consensus-relevant: fees, limits, units and expiries are the app's constants
 * ({@link MintParameters}), judged by leader time.
 *
 * @param name the mint's name shown by wallets
 * @param description a one-line description
 * @param descriptionLong a longer description, or null
 * @param contacts how to reach the operators (NUT-06 contact objects)
 * @param motd a message of the day wallets must show, or null
 * @param attestationUrl the cluster's attestation document ({@code GET /v1/cluster}), so a
 *     wallet or its user can check which code runs the mint and on which members
 * @param clock the front end's clock (never used by the replicated app)
 */
public record CashuMintSettings(String name, String description, String descriptionLong, List<Contact> contacts,
    String motd, URI attestationUrl, Clock clock) {
  /** Characters of any one text field at most. */
  public static final int TEXT_CHARS_MAX = 1_024;
  /** Contact entries at most. */
  public static final int CONTACTS_MAX = 16;

  /** A NUT-06 contact: a method ("email", "nostr", "twitter", ...) and the identifier. */
  public record Contact(String method, String info) {
    public Contact {
      Check.argument(method != null && !method.isBlank() && method.length() <= TEXT_CHARS_MAX,
          "contact method must be 1.." + TEXT_CHARS_MAX + " characters");
      Check.argument(info != null && !info.isBlank() && info.length() <= TEXT_CHARS_MAX,
          "contact info must be 1.." + TEXT_CHARS_MAX + " characters");
    }
  }

  public CashuMintSettings {
    Check.argument(name != null && !name.isBlank() && name.length() <= TEXT_CHARS_MAX,
        "mint name must be 1.." + TEXT_CHARS_MAX + " characters");
    Check.argument(description != null && description.length() <= TEXT_CHARS_MAX,
        "mint description must be present and at most " + TEXT_CHARS_MAX + " characters");
    Check.argument(descriptionLong == null || descriptionLong.length() <= 8 * TEXT_CHARS_MAX,
        "mint long description must be at most " + 8 * TEXT_CHARS_MAX + " characters");
    Check.argument(contacts != null && contacts.size() <= CONTACTS_MAX, "at most " + CONTACTS_MAX + " contacts");
    Check.argument(motd == null || motd.length() <= TEXT_CHARS_MAX, "motd must be at most " + TEXT_CHARS_MAX
        + " characters");
    Check.argument(attestationUrl != null && attestationUrl.isAbsolute(),
        "attestationUrl must be an absolute URL (the cluster's GET /v1/cluster), got " + attestationUrl);
    Check.argument(clock != null, "clock is required");
    contacts = List.copyOf(contacts);
  }

  /** Settings with a name, a default description, no contacts or motd, and the system clock. */
  public static CashuMintSettings of(String name, URI attestationUrl) {
    return new CashuMintSettings(name, "A Cashu mint run jointly by independent operators in attested TEEs (veilraft)",
        null, List.of(), null, attestationUrl, Clock.systemUTC());
  }
}

package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The NUT-06 {@code GET /v1/info} document. Besides the NUT fields it carries an extra object
 * {@code "veilraft": {"attestation_url": ..., "app": "cashu"}} (unknown fields are allowed by
 * NUT-06) and repeats the attestation link in {@code description_long}, so a wallet user can
 * verify which code runs the mint and on which attested members.
 */
final class MintInfoDocument {
  /** The implementation name in {@code version}: "veilraft/<version>". */
  static final String IMPLEMENTATION = "veilraft";

  private MintInfoDocument() {}

  static ObjectNode build(CashuMintSettings settings, String pubkey, boolean descriptions) {
    ObjectNode info = CashuJson.object();
    info.put("name", settings.name());
    if (pubkey != null) {
      info.put("pubkey", pubkey);
    }
    info.put("version", IMPLEMENTATION + "/" + version());
    info.put("description", settings.description());
    String attestation = "Run jointly by independent operators inside attested TEEs; verify the members and their "
        + "code at " + settings.attestationUrl();
    info.put("description_long", settings.descriptionLong() == null ? attestation
        : settings.descriptionLong() + "\n\n" + attestation);
    ArrayNode contact = info.putArray("contact");
    settings.contacts().forEach(c -> contact.addObject().put("method", c.method()).put("info", c.info()));
    if (settings.motd() != null) {
      info.put("motd", settings.motd());
    }
    info.put("time", settings.clock().instant().getEpochSecond());
    info.put("max_array_length", Math.min(MintParameters.CHECK_STATE_YS_MAX,
        Math.min(MintParameters.INPUTS_MAX, MintParameters.OUTPUTS_MAX)));
    ObjectNode nuts = info.putObject("nuts");
    ObjectNode mint = nuts.putObject("4");
    ObjectNode mintMethod = mint.putArray("methods").addObject();
    mintMethod.put("method", MintParameters.METHOD).put("unit", MintParameters.UNIT)
        .put("min_amount", MintParameters.MINT_AMOUNT_MIN).put("max_amount", MintParameters.MINT_AMOUNT_MAX);
    mintMethod.putObject("options").put("description", descriptions);
    mint.put("disabled", false);
    ObjectNode melt = nuts.putObject("5");
    ObjectNode meltMethod = melt.putArray("methods").addObject();
    meltMethod.put("method", MintParameters.METHOD).put("unit", MintParameters.UNIT)
        .put("min_amount", MintParameters.MELT_AMOUNT_MIN).put("max_amount", MintParameters.MELT_AMOUNT_MAX);
    meltMethod.putObject("options").put("amountless", false);
    melt.put("disabled", false);
    for (String supported : new String[] {"7", "8", "12"}) {
      nuts.putObject(supported).put("supported", true);
    }
    ObjectNode veilraft = info.putObject("veilraft");
    veilraft.put("attestation_url", settings.attestationUrl().toString());
    veilraft.put("app", CashuMintApp.NAME);
    return info;
  }

  static String version() {
    String version = MintInfoDocument.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}

/**
 * The create-key wizard: type (symmetric, asymmetric, HMAC), usage and spec, origin (AWS_KMS or
 * EXTERNAL for imported material), multi-Region, description, alias, tags and the key policy
 * (the default, or one written here). CreateKey, then CreateAlias; the server checks everything.
 */
import { useState } from "preact/hooks";
import { CreateAliasCommand, CreateKeyCommand, type KeySpec, type KeyUsageType, type OriginType } from "@aws-sdk/client-kms";
import type { Session } from "../session.ts";
import { navigate } from "../router.ts";
import { ErrorBox, Field, Title, useAction } from "../ui.tsx";
import { TagRows, type TagRow } from "../components/TagRows.tsx";

type KeyType = "symmetric" | "asymmetric" | "hmac";

/** The specs and usages each key type offers (AWS KMS's combinations). */
const CHOICES: Record<KeyType, { usages: KeyUsageType[]; specs: Partial<Record<KeyUsageType, KeySpec[]>> }> = {
  symmetric: { usages: ["ENCRYPT_DECRYPT"], specs: { ENCRYPT_DECRYPT: ["SYMMETRIC_DEFAULT"] } },
  asymmetric: {
    usages: ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"],
    specs: {
      ENCRYPT_DECRYPT: ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"],
      SIGN_VERIFY: ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "SM2"],
      KEY_AGREEMENT: ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2"],
    },
  },
  hmac: { usages: ["GENERATE_VERIFY_MAC"], specs: { GENERATE_VERIFY_MAC: ["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"] } },
};

export function CreateKeyPage({ session }: { session: Session }) {
  const [keyType, setKeyType] = useState<KeyType>("symmetric");
  const [usage, setUsage] = useState<KeyUsageType>("ENCRYPT_DECRYPT");
  const [spec, setSpec] = useState<KeySpec>("SYMMETRIC_DEFAULT");
  const [origin, setOrigin] = useState<OriginType>("AWS_KMS");
  const [multiRegion, setMultiRegion] = useState(false);
  const [description, setDescription] = useState("");
  const [alias, setAlias] = useState("");
  const [tags, setTags] = useState<TagRow[]>([]);
  const [customPolicy, setCustomPolicy] = useState(false);
  const [policy, setPolicy] = useState(() => defaultPolicy(session.identity.account));

  const chooseType = (type: KeyType) => {
    setKeyType(type);
    const firstUsage = CHOICES[type].usages[0] as KeyUsageType;
    setUsage(firstUsage);
    setSpec((CHOICES[type].specs[firstUsage] ?? [])[0] as KeySpec);
  };
  const chooseUsage = (next: KeyUsageType) => {
    setUsage(next);
    setSpec((CHOICES[keyType].specs[next] ?? [])[0] as KeySpec);
  };

  const create = useAction(async () => {
    const out = await session.kms.send(
      new CreateKeyCommand({
        KeySpec: spec,
        KeyUsage: usage,
        Origin: origin,
        MultiRegion: multiRegion,
        ...(description ? { Description: description } : {}),
        ...(tags.length ? { Tags: tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) } : {}),
        ...(customPolicy ? { Policy: policy } : {}),
      }),
    );
    const keyId = out.KeyMetadata?.KeyId ?? "";
    if (alias.trim()) {
      const name = alias.trim().startsWith("alias/") ? alias.trim() : `alias/${alias.trim()}`;
      await session.kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }));
    }
    navigate("keys", keyId);
  });

  return (
    <section>
      <Title>Create a key</Title>
      <form
        class="wizard"
        onSubmit={(event) => {
          event.preventDefault();
          create.run();
        }}
      >
        <fieldset>
          <legend>1. Key type</legend>
          {(["symmetric", "asymmetric", "hmac"] as const).map((type) => (
            <label class="check" key={type}>
              <input type="radio" name="keyType" value={type} checked={keyType === type} onChange={() => chooseType(type)} />
              {{ symmetric: "Symmetric (encrypt and decrypt)", asymmetric: "Asymmetric (RSA, elliptic curve, ML-DSA, SM2)", hmac: "HMAC (generate and verify MACs)" }[type]}
            </label>
          ))}
          <Field label="Key usage">
            <select name="keyUsage" value={usage} onChange={(e) => chooseUsage(e.currentTarget.value as KeyUsageType)}>
              {CHOICES[keyType].usages.map((u) => <option key={u}>{u}</option>)}
            </select>
          </Field>
          <Field label="Key spec">
            <select name="keySpec" value={spec} onChange={(e) => setSpec(e.currentTarget.value as KeySpec)}>
              {(CHOICES[keyType].specs[usage] ?? []).map((s) => <option key={s}>{s}</option>)}
            </select>
          </Field>
        </fieldset>
        <fieldset>
          <legend>2. Key material and Regions</legend>
          <label class="check">
            <input type="radio" name="origin" checked={origin === "AWS_KMS"} onChange={() => setOrigin("AWS_KMS")} />
            kmsd generates the key material
          </label>
          <label class="check">
            <input type="radio" name="origin" checked={origin === "EXTERNAL"} onChange={() => setOrigin("EXTERNAL")} />
            Import my own key material (EXTERNAL; the key detail page walks through the import)
          </label>
          <label class="check">
            <input type="checkbox" checked={multiRegion} onChange={(e) => setMultiRegion(e.currentTarget.checked)} />
            Multi-Region primary key (replicate it later to other Regions)
          </label>
        </fieldset>
        <fieldset>
          <legend>3. Labels</legend>
          <Field label="Alias" hint="alias/ is added when missing">
            <input name="alias" value={alias} onInput={(e) => setAlias(e.currentTarget.value)} />
          </Field>
          <Field label="Description">
            <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </Field>
          <TagRows tags={tags} onChange={setTags} />
        </fieldset>
        <fieldset>
          <legend>4. Key policy</legend>
          <label class="check">
            <input type="radio" name="policyChoice" checked={!customPolicy} onChange={() => setCustomPolicy(false)} />
            Default key policy (the account may use IAM policies to allow access)
          </label>
          <label class="check">
            <input type="radio" name="policyChoice" checked={customPolicy} onChange={() => setCustomPolicy(true)} />
            Write the key policy
          </label>
          {customPolicy ? (
            <Field label="Key policy (JSON)">
              <textarea class="code" rows={14} spellcheck={false} value={policy} onInput={(e) => setPolicy(e.currentTarget.value)} />
            </Field>
          ) : null}
        </fieldset>
        <button type="submit" disabled={create.busy}>Create key</button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}

/** The policy CreateKey applies when none is given, as a starting point to edit. */
function defaultPolicy(account: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }],
    },
    null,
    2,
  );
}

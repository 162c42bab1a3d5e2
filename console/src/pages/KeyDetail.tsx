/**
 * One key: its metadata, aliases (add, move, delete), tags, enable/disable, deletion (schedule
 * with a waiting period, cancel), rotation (period, on demand, history), the public key as PEM
 * for asymmetric keys, the import steps and material state for imported (EXTERNAL) keys, and
 * for a multi-Region key its primary and replicas, ReplicateKey and UpdatePrimaryRegion.
 */
import { useState } from "preact/hooks";
import {
  CancelKeyDeletionCommand, CreateAliasCommand, DeleteAliasCommand, DeleteImportedKeyMaterialCommand, DescribeKeyCommand,
  DisableKeyCommand, DisableKeyRotationCommand, EnableKeyCommand, EnableKeyRotationCommand, GetKeyRotationStatusCommand,
  GetParametersForImportCommand, GetPublicKeyCommand, ImportKeyMaterialCommand, ListAliasesCommand, ListKeyRotationsCommand,
  ListResourceTagsCommand, ReplicateKeyCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, TagResourceCommand,
  UntagResourceCommand, UpdateAliasCommand, UpdatePrimaryRegionCommand, type KeyMetadata,
} from "@aws-sdk/client-kms";
import { REGIONS, type Session } from "../session.ts";
import { href } from "../router.ts";
import { download, ErrorBox, Field, Title, useAction, useLoad } from "../ui.tsx";
import { pem } from "../pem.ts";
import { keyCatalog } from "../keyCatalog.ts";
import { TagRows, type TagRow } from "../components/TagRows.tsx";
import { TagsSection } from "../components/TagsSection.tsx";

export function KeyDetailPage({ session, keyId }: { session: Session; keyId: string }) {
  const key = useLoad(async () => {
    const meta = (await session.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    // The key list shows the key as this page last read it (after an enable, a deletion...).
    if (meta) keyCatalog(session.kms).remember(meta);
    return meta;
  }, [keyId, session]);
  const meta = key.data;
  return (
    <section>
      <Title>Key {keyId}</Title>
      <ErrorBox error={key.error} />
      {meta ? (
        <>
          <nav class="key-links" aria-label="This key">
            <a href={href("keys", keyId, "policy")}>Key policy</a>
            <a href={href("keys", keyId, "grants")}>Grants</a>
            <a href={`${href("try")}?key=${encodeURIComponent(keyId)}`}>Try it</a>
            <a href={`${href("audit")}?resource=${encodeURIComponent(meta.Arn ?? keyId)}`}>Audit events</a>
          </nav>
          <Metadata meta={meta} />
          <StateActions session={session} meta={meta} onChange={key.reload} />
          <Aliases session={session} keyId={keyId} />
          <Tags session={session} keyId={meta.KeyId ?? keyId} />
          {meta.KeySpec === "SYMMETRIC_DEFAULT" && meta.Origin !== "EXTERNAL" ? <Rotation session={session} keyId={keyId} /> : null}
          {meta.KeySpec !== "SYMMETRIC_DEFAULT" && !(meta.KeySpec ?? "").startsWith("HMAC") ? <PublicKey session={session} meta={meta} /> : null}
          {meta.Origin === "EXTERNAL" ? <ImportMaterial session={session} meta={meta} onChange={key.reload} /> : null}
          {meta.MultiRegion ? <MultiRegion session={session} meta={meta} onChange={key.reload} /> : null}
        </>
      ) : key.loading ? <p role="status">Loading…</p> : null}
    </section>
  );
}

function Metadata({ meta }: { meta: KeyMetadata }) {
  const rows: [string, string | undefined][] = [
    ["ARN", meta.Arn],
    ["State", meta.KeyState],
    ["Description", meta.Description],
    ["Key spec", meta.KeySpec],
    ["Key usage", meta.KeyUsage],
    ["Origin", meta.Origin],
    ["Key manager", meta.KeyManager],
    ["Created", meta.CreationDate?.toISOString()],
    ["Multi-Region", meta.MultiRegion ? `yes (${meta.MultiRegionConfiguration?.MultiRegionKeyType ?? ""})` : "no"],
    ["Deletion date", meta.DeletionDate?.toISOString()],
    ["Pending deletion window (days)", meta.PendingDeletionWindowInDays?.toString()],
    ["Encryption algorithms", meta.EncryptionAlgorithms?.join(", ")],
    ["Signing algorithms", meta.SigningAlgorithms?.join(", ")],
    ["MAC algorithms", meta.MacAlgorithms?.join(", ")],
    ["Key material expires", meta.Origin === "EXTERNAL" ? (meta.ExpirationModel === "KEY_MATERIAL_DOES_NOT_EXPIRE" ? "never" : meta.ValidTo?.toISOString()) : undefined],
  ];
  return (
    <section aria-labelledby="metadata-heading">
      <h2 id="metadata-heading">Configuration</h2>
      <dl class="meta">
        {rows.filter(([, value]) => value).map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function StateActions({ session, meta, onChange }: { session: Session; meta: KeyMetadata; onChange: () => void }) {
  const [days, setDays] = useState(30);
  const keyId = meta.KeyId ?? "";
  const act = useAction(async (command: "enable" | "disable" | "schedule" | "cancel") => {
    if (command === "enable") await session.kms.send(new EnableKeyCommand({ KeyId: keyId }));
    if (command === "disable") await session.kms.send(new DisableKeyCommand({ KeyId: keyId }));
    if (command === "schedule") await session.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days }));
    if (command === "cancel") await session.kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    onChange();
  });
  return (
    <section aria-labelledby="state-heading">
      <h2 id="state-heading">State</h2>
      <div class="actions">
        {meta.KeyState === "Disabled" ? <button type="button" onClick={() => act.run("enable")}>Enable key</button> : null}
        {meta.KeyState === "Enabled" ? <button type="button" onClick={() => act.run("disable")}>Disable key</button> : null}
        {meta.KeyState === "PendingDeletion" ? (
          <button type="button" onClick={() => act.run("cancel")}>Cancel key deletion</button>
        ) : (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              if (window.confirm(`Delete this key after ${days} days? Ciphertexts under it become undecryptable once it is gone.`)) act.run("schedule");
            }}
          >
            <Field label="Waiting period (days, 7 to 30)">
              <input type="number" min={7} max={30} value={days} onInput={(e) => setDays(Number(e.currentTarget.value))} />
            </Field>
            <button type="submit" class="danger">Schedule key deletion</button>
          </form>
        )}
      </div>
      <ErrorBox error={act.error} />
    </section>
  );
}

function Aliases({ session, keyId }: { session: Session; keyId: string }) {
  const aliases = useLoad(async () => (await session.kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases ?? [], [keyId, session]);
  const [name, setName] = useState("");
  const [moveTo, setMoveTo] = useState<Record<string, string>>({});
  const act = useAction(async (change: () => Promise<unknown>) => {
    await change();
    aliases.reload();
  });
  const aliasName = (text: string) => (text.startsWith("alias/") ? text : `alias/${text}`);
  return (
    <section aria-labelledby="aliases-heading">
      <h2 id="aliases-heading">Aliases</h2>
      <ErrorBox error={aliases.error ?? act.error} />
      <ul class="plain">
        {(aliases.data ?? []).map((alias) => {
          const target = moveTo[alias.AliasName ?? ""] ?? "";
          return (
            <li key={alias.AliasName}>
              <code>{alias.AliasName}</code>
              <Field label={`Move ${alias.AliasName} to key`}>
                <input value={target} onInput={(e) => setMoveTo({ ...moveTo, [alias.AliasName ?? ""]: e.currentTarget.value })} />
              </Field>
              <button type="button" disabled={!target} onClick={() => act.run(() => session.kms.send(new UpdateAliasCommand({ AliasName: alias.AliasName, TargetKeyId: target })))}>
                Move
              </button>
              <button type="button" onClick={() => act.run(() => session.kms.send(new DeleteAliasCommand({ AliasName: alias.AliasName })))}>
                Delete {alias.AliasName}
              </button>
            </li>
          );
        })}
      </ul>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            await session.kms.send(new CreateAliasCommand({ AliasName: aliasName(name.trim()), TargetKeyId: keyId }));
            setName("");
          });
        }}
      >
        <Field label="New alias">
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={!name.trim()}>Add alias</button>
      </form>
    </section>
  );
}

function Tags({ session, keyId }: { session: Session; keyId: string }) {
  return (
    <TagsSection
      level={2}
      of={keyId}
      deps={[keyId, session]}
      load={async () => {
        const list = (await session.kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? [];
        keyCatalog(session.kms).rememberTags(keyId, list);
        return list.map((tag) => ({ key: tag.TagKey ?? "", value: tag.TagValue ?? "" }));
      }}
      untag={(key) => session.kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: [key] }))}
      tag={(tag) => session.kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: tag.key, TagValue: tag.value }] }))}
    />
  );
}

function Rotation({ session, keyId }: { session: Session; keyId: string }) {
  const status = useLoad(() => session.kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId })), [keyId, session]);
  const history = useLoad(async () => (await session.kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? [], [keyId, session]);
  const [period, setPeriod] = useState(365);
  const act = useAction(async (change: () => Promise<unknown>) => {
    await change();
    status.reload();
    history.reload();
  });
  const enabled = status.data?.KeyRotationEnabled === true;
  return (
    <section aria-labelledby="rotation-heading">
      <h2 id="rotation-heading">Rotation</h2>
      <ErrorBox error={status.error ?? history.error ?? act.error} />
      <p>
        Automatic rotation: {enabled ? `every ${status.data?.RotationPeriodInDays ?? "?"} days, next on ${status.data?.NextRotationDate?.toISOString() ?? "?"}` : "off"}
        {status.data?.OnDemandRotationStartDate ? `; on-demand rotation in progress since ${status.data.OnDemandRotationStartDate.toISOString()}` : ""}
      </p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(() => session.kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: period })));
        }}
      >
        <Field label="Rotation period (days, 90 to 2560)">
          <input type="number" min={90} max={2560} value={period} onInput={(e) => setPeriod(Number(e.currentTarget.value))} />
        </Field>
        <button type="submit">{enabled ? "Change rotation period" : "Enable automatic rotation"}</button>
        {enabled ? <button type="button" onClick={() => act.run(() => session.kms.send(new DisableKeyRotationCommand({ KeyId: keyId })))}>Disable automatic rotation</button> : null}
        <button type="button" onClick={() => act.run(() => session.kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })))}>Rotate now</button>
      </form>
      <table>
        <caption>Rotation history</caption>
        <thead><tr><th scope="col">Date</th><th scope="col">Type</th><th scope="col">Key material</th></tr></thead>
        <tbody>
          {(history.data ?? []).map((rotation) => (
            <tr key={rotation.RotationDate?.toISOString()}>
              <td>{rotation.RotationDate?.toISOString()}</td>
              <td>{rotation.RotationType}</td>
              <td>{rotation.KeyMaterialId ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function PublicKey({ session, meta }: { session: Session; meta: KeyMetadata }) {
  const act = useAction(async () => {
    const out = await session.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
    download(`${meta.KeyId ?? "key"}.pem`, pem("PUBLIC KEY", out.PublicKey ?? new Uint8Array()), "application/x-pem-file");
  });
  return (
    <section aria-labelledby="public-key-heading">
      <h2 id="public-key-heading">Public key</h2>
      <button type="button" onClick={() => act.run()}>Download public key (PEM)</button>
      <ErrorBox error={act.error} />
    </section>
  );
}

function ImportMaterial({ session, meta, onChange }: { session: Session; meta: KeyMetadata; onChange: () => void }) {
  const keyId = meta.KeyId ?? "";
  const [algorithm, setAlgorithm] = useState("RSAES_OAEP_SHA_256");
  const [wrappingSpec, setWrappingSpec] = useState("RSA_2048");
  const [material, setMaterial] = useState<File | undefined>();
  const [token, setToken] = useState<File | undefined>();
  const [validTo, setValidTo] = useState("");
  const [done, setDone] = useState("");
  const parameters = useAction(async () => {
    const out = await session.kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm as "RSAES_OAEP_SHA_256", WrappingKeySpec: wrappingSpec as "RSA_2048" }));
    download(`${keyId}-wrapping-key.pem`, pem("PUBLIC KEY", out.PublicKey ?? new Uint8Array()), "application/x-pem-file");
    download(`${keyId}-import-token.bin`, new Uint8Array(out.ImportToken ?? []));
    setDone(`Wrapping key and import token downloaded; valid until ${out.ParametersValidTo?.toISOString() ?? "?"}.`);
  });
  const importMaterial = useAction(async () => {
    if (!material || !token) return;
    await session.kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        EncryptedKeyMaterial: new Uint8Array(await material.arrayBuffer()),
        ImportToken: new Uint8Array(await token.arrayBuffer()),
        ExpirationModel: validTo ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE",
        ...(validTo ? { ValidTo: new Date(validTo) } : {}),
      }),
    );
    setDone("Key material imported.");
    onChange();
  });
  const deleteMaterial = useAction(async () => {
    await session.kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    onChange();
  });
  return (
    <section aria-labelledby="import-heading">
      <h2 id="import-heading">Imported key material</h2>
      <p>State: {meta.KeyState === "PendingImport" ? "waiting for key material" : `imported; ${meta.ExpirationModel === "KEY_MATERIAL_EXPIRES" ? `expires ${meta.ValidTo?.toISOString() ?? "?"}` : "does not expire"}`}</p>
      <ol class="steps">
        <li>
          <form class="inline" onSubmit={(e) => { e.preventDefault(); parameters.run(); }}>
            <Field label="Wrapping algorithm">
              <select value={algorithm} onChange={(e) => setAlgorithm(e.currentTarget.value)}>
                {["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSAES_PKCS1_V1_5", "SM2PKE"].map((a) => <option key={a}>{a}</option>)}
              </select>
            </Field>
            <Field label="Wrapping key spec">
              <select value={wrappingSpec} onChange={(e) => setWrappingSpec(e.currentTarget.value)}>
                {["RSA_2048", "RSA_3072", "RSA_4096", "SM2"].map((s) => <option key={s}>{s}</option>)}
              </select>
            </Field>
            <button type="submit">Download wrapping key and import token</button>
          </form>
        </li>
        <li>Wrap your key material with the wrapping public key (for example with OpenSSL), outside the browser.</li>
        <li>
          <form class="inline" onSubmit={(e) => { e.preventDefault(); importMaterial.run(); }}>
            <Field label="Wrapped key material (file)">
              <input type="file" onChange={(e) => setMaterial(e.currentTarget.files?.[0])} />
            </Field>
            <Field label="Import token (file)">
              <input type="file" onChange={(e) => setToken(e.currentTarget.files?.[0])} />
            </Field>
            <Field label="Expires (leave empty: never)">
              <input type="datetime-local" value={validTo} onInput={(e) => setValidTo(e.currentTarget.value)} />
            </Field>
            <button type="submit" disabled={!material || !token}>Import key material</button>
          </form>
        </li>
      </ol>
      {meta.KeyState !== "PendingImport" ? <button type="button" class="danger" onClick={() => deleteMaterial.run()}>Delete imported key material</button> : null}
      {done ? <p role="status">{done}</p> : null}
      <ErrorBox error={parameters.error ?? importMaterial.error ?? deleteMaterial.error} />
    </section>
  );
}

function MultiRegion({ session, meta, onChange }: { session: Session; meta: KeyMetadata; onChange: () => void }) {
  const config = meta.MultiRegionConfiguration;
  const keyId = meta.KeyId ?? "";
  const isPrimary = config?.MultiRegionKeyType === "PRIMARY";
  const related = [config?.PrimaryKey, ...(config?.ReplicaKeys ?? [])];
  const taken = new Set(related.map((key) => key?.Region));
  const freeRegions = REGIONS.filter((region) => !taken.has(region));
  const [replicaRegion, setReplicaRegion] = useState("");
  const [description, setDescription] = useState(meta.Description ?? "");
  const [tags, setTags] = useState<TagRow[]>([]);
  const [policy, setPolicy] = useState("");
  const [newPrimary, setNewPrimary] = useState("");
  const [done, setDone] = useState("");
  const replicate = useAction(async () => {
    const out = await session.kms.send(
      new ReplicateKeyCommand({
        KeyId: keyId,
        ReplicaRegion: replicaRegion,
        Description: description,
        Tags: tags.filter((tag) => tag.key).map((tag) => ({ TagKey: tag.key, TagValue: tag.value })),
        // Without a policy, AWS gives the replica the default key policy (not the primary's).
        ...(policy.trim() ? { Policy: policy } : {}),
      }),
    );
    setDone(`Replica ${out.ReplicaKeyMetadata?.Arn ?? ""} created (${out.ReplicaKeyMetadata?.KeyState ?? ""}).`);
    setReplicaRegion("");
    onChange();
  });
  const updatePrimary = useAction(async () => {
    await session.kms.send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: newPrimary }));
    setDone(`The primary key is now in ${newPrimary}; this key becomes its replica.`);
    setNewPrimary("");
    onChange();
  });
  return (
    <section aria-labelledby="multi-region-heading">
      <h2 id="multi-region-heading">Multi-Region</h2>
      <table>
        <caption>Related multi-Region keys</caption>
        <thead><tr><th scope="col">Role</th><th scope="col">Region</th><th scope="col">ARN</th></tr></thead>
        <tbody>
          {related.map((key, index) =>
            key ? (
              <tr key={key.Arn}>
                <td>{index === 0 ? "Primary" : "Replica"}{key.Arn === meta.Arn ? " (this key)" : ""}</td>
                <td>{key.Region}</td>
                <td>{key.Arn}</td>
              </tr>
            ) : null,
          )}
        </tbody>
      </table>
      {isPrimary ? (
        <>
          <form
            aria-labelledby="replicate-heading"
            onSubmit={(e) => {
              e.preventDefault();
              replicate.run();
            }}
          >
            <h3 id="replicate-heading">Replicate this key</h3>
            <Field label="Replica Region">
              <select value={replicaRegion} onChange={(e) => setReplicaRegion(e.currentTarget.value)}>
                <option value="">Choose…</option>
                {freeRegions.map((region) => <option key={region}>{region}</option>)}
              </select>
            </Field>
            <Field label="Replica description">
              <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
            </Field>
            <TagRows tags={tags} onChange={setTags} />
            <Field label="Replica key policy (JSON)" hint="Leave empty for the default key policy.">
              <textarea class="code" rows={6} spellcheck={false} value={policy} onInput={(e) => setPolicy(e.currentTarget.value)} />
            </Field>
            <button type="submit" disabled={!replicaRegion || replicate.busy}>Replicate key</button>
          </form>
          {(config?.ReplicaKeys ?? []).length > 0 ? (
            <>
              <h3 id="primary-heading">Change the primary Region</h3>
              <form
                class="inline"
                aria-labelledby="primary-heading"
                onSubmit={(e) => {
                  e.preventDefault();
                  updatePrimary.run();
                }}
              >
                <Field label="New primary Region">
                  <select value={newPrimary} onChange={(e) => setNewPrimary(e.currentTarget.value)}>
                    <option value="">Choose…</option>
                    {(config?.ReplicaKeys ?? []).map((replica) => <option key={replica.Region}>{replica.Region}</option>)}
                  </select>
                </Field>
                <button type="submit" disabled={!newPrimary || updatePrimary.busy}>Update primary Region</button>
              </form>
            </>
          ) : null}
        </>
      ) : (
        <p>
          Replicas are made, and the primary Region changed, from the primary key in {config?.PrimaryKey?.Region ?? "its Region"}: switch
          to that Region with the Region picker.
        </p>
      )}
      {done ? <p role="status">{done}</p> : null}
      <ErrorBox error={replicate.error ?? updatePrimary.error} />
    </section>
  );
}

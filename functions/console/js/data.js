// What several screens read together: the account's users, their devices,
// groups, numbers and extensions, and how a number's route reads.
import * as api from './api.js';
import { t } from './i18n.js';

const KIND_LABELS = {
  phone: 'kind.phone',
  external: 'kind.external',
  voicemail: 'kind.voicemail',
  fax: 'kind.fax',
};

export function kindLabel(kind) {
  return KIND_LABELS[kind] ? t(KIND_LABELS[kind]) : kind;
}

// devicesOf reads a user's devices; the list is small and unpaged.
export async function devicesOf(userId) {
  return (await api.get(`/v1/users/${api.seg(userId)}/devices`)).items || [];
}

// loadDirectory reads what an admin's screens need to name route targets
// and pick users, endpoints and groups.
export async function loadDirectory() {
  const [users, groups, numbers, extensions] = await Promise.all([
    api.all('/v1/users'),
    api.get('/v1/groups'),
    api.get('/v1/numbers'),
    api.get('/v1/extensions'),
  ]);
  const devices = (await Promise.all(users.map((u) => devicesOf(u.id)))).flat();
  return directory(users, devices, groups.items || [], numbers.items || [], extensions.items || []);
}

export function directory(users, devices, groups, numbers, extensions) {
  return {
    users,
    devices,
    groups,
    numbers,
    extensions,
    user: new Map(users.map((u) => [u.id, u])),
    device: new Map(devices.map((d) => [d.id, d])),
    group: new Map(groups.map((g) => [g.id, g])),
  };
}

// describeRoute words where a number rings.
export function describeRoute(route, dir) {
  const userName = (id) => dir?.user.get(id)?.name || id;
  switch (route?.kind) {
    case 'user':
      if (route.device) {
        const d = dir?.device.get(route.device);
        return t('target.userOnePhone', { user: userName(route.target), phone: d?.name || route.device });
      }
      return t('target.userAll', { user: userName(route.target) });
    case 'device': {
      const d = dir?.device.get(route.target);
      if (!d) return t('target.deviceUnknown', { id: route.target });
      // A voicemail called "Voicemail" is not named twice.
      if (d.name === kindLabel(d.kind)) return t('target.deviceNamed', { name: d.name, user: userName(d.owner) });
      return t('target.device', { kind: kindLabel(d.kind), name: d.name, user: userName(d.owner) });
    }
    case 'group':
      return t('target.group', { group: dir?.group.get(route.target)?.name || route.target });
    default:
      return t('target.none');
  }
}

// routedTo reports whether number n rings user u (directly or on one of
// its endpoints).
export function routedTo(n, userId, devices) {
  const r = n.route || {};
  if (r.kind === 'user') return r.target === userId;
  if (r.kind === 'device') return devices.some((d) => d.id === r.target);
  return false;
}

export function unassigned(numbers) {
  return numbers.filter((n) => !n.route || n.route.kind === 'none');
}

export function numberOptions(numbers, noneLabel) {
  return [{ value: '', label: noneLabel }, ...unassigned(numbers).map((n) => ({ value: n.number, label: numberLabel(n) }))];
}

export function numberLabel(n) {
  return n.test ? `${n.number} (${t('numbers.test')})` : n.number;
}

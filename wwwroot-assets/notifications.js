// Browser notifications (the Notification API) for runs that finish or fail, shown only after the person allowed them.

export function permission() {
    return 'Notification' in window ? Notification.permission : 'unsupported';
}

export async function ask() {
    return 'Notification' in window ? await Notification.requestPermission() : 'unsupported';
}

export function show(title, body, url) {
    if (permission() !== 'granted') return false;
    const note = new Notification(title, { body, tag: url });
    note.onclick = () => { window.focus(); location.assign(url); };
    return true;
}

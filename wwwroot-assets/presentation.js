// Lecture mode for the explorer pages: P toggles the presentation layout (large images, no app bar), F full screen
// (the Fullscreen API), Escape leaves both; any other key clicks the page's element marked data-shortcut="KEY".
// All of it runs in the browser, so full screen is asked for inside the key press or click that wants it.

let attached = false;

function inEditableField(target) {
    return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function togglePresentation(on) {
    const presenting = document.documentElement.classList.toggle('presenting', on);
    document.querySelectorAll('[data-present-action=present]').forEach(b => b.setAttribute('aria-pressed', String(presenting)));
    if (!presenting && document.fullscreenElement) document.exitFullscreen();
    return presenting;
}

export async function toggleFullscreen() {
    if (document.fullscreenElement) {
        await document.exitFullscreen();
        return false;
    }
    togglePresentation(true);
    await document.documentElement.requestFullscreen();
    return true;
}

function act(action) {
    if (action === 'present') togglePresentation();
    else if (action === 'fullscreen') toggleFullscreen().catch(() => { /* refused (no gesture, or an iframe): the layout stays */ });
}

export function attach() {
    if (attached) return;
    attached = true;
    const style = document.createElement('link');
    style.rel = 'stylesheet';
    style.href = 'presentation.css';
    document.head.append(style);
    document.addEventListener('click', e => {
        const button = e.target instanceof Element ? e.target.closest('[data-present-action]') : null;
        if (button) act(button.dataset.presentAction);
    });
    document.addEventListener('keydown', e => {
        // Only on a page with the presentation controls: the router keeps this listener on every later page too.
        if (e.ctrlKey || e.metaKey || e.altKey || inEditableField(e.target) || !document.querySelector('[data-present-action]')) return;
        const key = e.key.toLowerCase();
        if (key === 'p') act('present');
        else if (key === 'f') act('fullscreen');
        else if (key === 'escape' && document.documentElement.classList.contains('presenting')) togglePresentation(false);
        else {
            const target = document.querySelector(`[data-shortcut="${CSS.escape(key)}"]`);
            if (!target) return;
            target.click();
        }
        e.preventDefault();
    });
    // A page left while presenting (the router keeps the document) leaves the layout too, when it has no presenter.
    document.addEventListener('fullscreenchange', () => {
        if (!document.fullscreenElement && !document.querySelector('[data-present-action]')) togglePresentation(false);
    });
}

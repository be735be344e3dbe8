/** The app's screens. */
export type Screen = 'list' | 'conversation' | 'search' | 'inbox' | 'settings' | 'duty' | 'metrics';

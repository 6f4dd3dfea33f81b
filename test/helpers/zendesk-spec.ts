/** The spec checks live with the doubles (the demo uses them too); tests keep importing them from here. */
export * from '../../doubles/zendesk-spec';
